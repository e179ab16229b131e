import CityLedger

/// The mempool's bounds, each named with its unit. Every bound is checked on entry, so the pool
/// never holds more than these however fast transactions arrive.
package struct MempoolLimits: Hashable, Sendable {
    /// Most transactions held at once.
    package var maxTransactions: Int
    /// Most bytes held at once (sum of each transaction's canonical encoding).
    package var maxBytes: Int
    /// Most transactions held for one signing agency, so that one agency cannot fill the pool.
    package var maxPerSigner: Int
    /// Most committed transaction ids remembered to answer a resubmission as already committed.
    package var maxRecentlyCommitted: Int
    /// Most transactions `recheck` re-validates per call (each costs a signature verification).
    package var maxRecheckPerCall: Int

    /// Limits from their parts; every bound must be at least 1.
    package init(maxTransactions: Int = 50_000, maxBytes: Int = 256 << 20, maxPerSigner: Int = 5_000,
                 maxRecentlyCommitted: Int = 100_000, maxRecheckPerCall: Int = 2_000) {
        precondition(maxTransactions >= 1 && maxBytes >= 1 && maxPerSigner >= 1, "mempool bounds must be at least 1")
        precondition(maxRecentlyCommitted >= 1 && maxRecheckPerCall >= 1, "mempool bounds must be at least 1")
        self.maxTransactions = maxTransactions
        self.maxBytes = maxBytes
        self.maxPerSigner = maxPerSigner
        self.maxRecentlyCommitted = maxRecentlyCommitted
        self.maxRecheckPerCall = maxRecheckPerCall
    }
}
