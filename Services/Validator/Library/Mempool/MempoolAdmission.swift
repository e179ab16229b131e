import CityLedger

/// What `Mempool.add` did with a transaction.
package enum MempoolAdmission: Hashable, Sendable {
    /// Added; `sequence` is its place in arrival order.
    case accepted(sequence: UInt64)
    /// The same transaction id is already known; nothing changed (submitting is idempotent).
    case duplicate(MempoolTxStatus)
    /// The ledger refuses it (stateless rules, signature, expiry, replay or the operation's rules).
    case rejected(Rejection)
    /// Valid or not, there is no room now; retry later.
    case full(MempoolFull)
}

/// Where a known transaction id stands.
package enum MempoolTxStatus: Hashable, Sendable {
    /// Waiting in the pool at this arrival sequence.
    case pending(sequence: UInt64)
    /// Committed in the block at this height (remembered for the last `maxRecentlyCommitted` ids).
    case committed(height: UInt64)
}
