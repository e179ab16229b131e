import CityLedger

/// When the proposer builds a block and what a block may hold. Pure: time is passed in as
/// milliseconds since the Unix epoch, so the same inputs always give the same answer.
package struct BlockPolicy: Hashable, Sendable {
    /// Most transactions in one block (at most `LedgerLimits.maxTransactionsPerBlock`).
    package var maxTransactionsPerBlock: Int
    /// Most bytes of transactions in one block (sum of their canonical encodings). Keep it at
    /// least `LedgerLimits.maxTransactionBytes`, or some valid transactions never fit.
    package var maxBlockBytes: Int
    /// Least time between a block and the next one that has transactions, in milliseconds.
    package var blockIntervalMillis: UInt64
    /// With nothing pending, an empty block is proposed only after this long without a block,
    /// in milliseconds, so that followers see the chain is alive.
    package var heartbeatIntervalMillis: UInt64
    /// How far a proposal's time may be ahead of the local clock, in milliseconds.
    package var maxClockDriftMillis: UInt64

    /// A policy from its parts.
    package init(maxTransactionsPerBlock: Int = 5_000, maxBlockBytes: Int = 16 << 20, blockIntervalMillis: UInt64 = 200,
                 heartbeatIntervalMillis: UInt64 = 10_000, maxClockDriftMillis: UInt64 = 2_000) {
        precondition((1...LedgerLimits.maxTransactionsPerBlock).contains(maxTransactionsPerBlock),
                     "maxTransactionsPerBlock \(maxTransactionsPerBlock) is not in 1...\(LedgerLimits.maxTransactionsPerBlock)")
        precondition(maxBlockBytes >= 1, "maxBlockBytes must be at least 1")
        precondition(heartbeatIntervalMillis >= blockIntervalMillis, "the heartbeat interval cannot be shorter than the block interval")
        self.maxTransactionsPerBlock = maxTransactionsPerBlock
        self.maxBlockBytes = maxBlockBytes
        self.blockIntervalMillis = blockIntervalMillis
        self.heartbeatIntervalMillis = heartbeatIntervalMillis
        self.maxClockDriftMillis = maxClockDriftMillis
    }

    /// True when the proposer should build a block now: with transactions pending, once
    /// `blockIntervalMillis` has passed since the last block; with none, only once
    /// `heartbeatIntervalMillis` has passed (a heartbeat). A clock behind the last block's
    /// time counts as no time passed.
    package func shouldPropose(nowMillis: UInt64, lastBlockTimeMillis: UInt64, pendingCount: Int) -> Bool {
        let elapsed = nowMillis >= lastBlockTimeMillis ? nowMillis - lastBlockTimeMillis : 0
        return elapsed >= (pendingCount > 0 ? blockIntervalMillis : heartbeatIntervalMillis)
    }

    /// Milliseconds from `nowMillis` until `shouldPropose` turns true if nothing else arrives
    /// (0 when it already is): when the caller should ask again.
    package func millisUntilProposal(nowMillis: UInt64, lastBlockTimeMillis: UInt64, pendingCount: Int) -> UInt64 {
        let wait = pendingCount > 0 ? blockIntervalMillis : heartbeatIntervalMillis
        let due = lastBlockTimeMillis.addingReportingOverflow(wait)
        if due.overflow { return UInt64.max }
        return due.partialValue > nowMillis ? due.partialValue - nowMillis : 0
    }
}
