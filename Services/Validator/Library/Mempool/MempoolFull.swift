import CityEncoding
import CityLedger

/// The pool has no room for a transaction: which bound is reached. Not a verdict on the
/// transaction: the sender should retry later (blocks drain the pool).
@MemberwiseInit
package struct MempoolFull: Error, Hashable, Sendable, CustomStringConvertible {
    /// A bound of `MempoolLimits`.
    package enum Bound: Hashable, Sendable {
        /// `maxTransactions`.
        case transactions
        /// `maxBytes`.
        case bytes
        /// `maxPerSigner`, for this agency.
        case perSigner(AgencyID)
    }

    /// The bound that is reached.
    package var bound: Bound
    /// What the pool holds for that bound now (transactions, or bytes).
    package var current: Int
    /// The bound's limit.
    package var limit: Int

    /// What was wrong and what to do, for logs and error frames.
    package var description: String {
        switch bound {
        case .transactions:
            "mempool full: holds \(current) transactions of maxTransactions \(limit); retry later"
        case .bytes:
            "mempool full: holds \(current) bytes and the transaction does not fit in maxBytes \(limit); retry later"
        case .perSigner(let agency):
            "mempool full for agency \(agency): it has \(current) pending transactions of maxPerSigner \(limit); " +
                "wait for some to commit, then retry"
        }
    }
}
