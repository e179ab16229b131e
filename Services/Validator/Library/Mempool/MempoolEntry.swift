import CityLedger

/// One pending transaction with what the pool keeps about it, so that bounds and expiry are
/// checked without re-encoding.
package struct MempoolEntry: Hashable, Sendable {
    /// The transaction.
    package var transaction: SignedTransaction
    /// Its id.
    package var id: TransactionID
    /// Size of its canonical encoding, in bytes.
    package var encodedBytes: Int
    /// Arrival order (strictly increasing, never reused).
    package var sequence: UInt64

    /// The agency whose quota it counts against.
    package var signerAgency: AgencyID { transaction.body.signer.agency }
    /// The last height it may be included at.
    package var expiresAtHeight: UInt64 { transaction.body.expiresAtHeight }
}
