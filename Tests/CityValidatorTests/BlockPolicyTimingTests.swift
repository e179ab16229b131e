import CityValidator
import Testing

/// `BlockPolicy.shouldPropose`: the block interval, the heartbeat and no empty blocks otherwise.
@Suite struct BlockPolicyTimingTests {
    let policy = BlockPolicy(blockIntervalMillis: 200, heartbeatIntervalMillis: 10_000)
    let last: UInt64 = 1_700_000_000_000

    @Test func pendingTransactionsWaitForTheInterval() {
        #expect(!policy.shouldPropose(nowMillis: last + 199, lastBlockTimeMillis: last, pendingCount: 1))
        #expect(policy.shouldPropose(nowMillis: last + 200, lastBlockTimeMillis: last, pendingCount: 1))
        #expect(policy.shouldPropose(nowMillis: last + 5_000, lastBlockTimeMillis: last, pendingCount: 3))
        #expect(policy.millisUntilProposal(nowMillis: last + 150, lastBlockTimeMillis: last, pendingCount: 1) == 50)
    }

    @Test func noEmptyBlockBeforeTheHeartbeat() {
        #expect(!policy.shouldPropose(nowMillis: last + 200, lastBlockTimeMillis: last, pendingCount: 0))
        #expect(!policy.shouldPropose(nowMillis: last + 9_999, lastBlockTimeMillis: last, pendingCount: 0))
        #expect(policy.shouldPropose(nowMillis: last + 10_000, lastBlockTimeMillis: last, pendingCount: 0))
        #expect(policy.millisUntilProposal(nowMillis: last + 200, lastBlockTimeMillis: last, pendingCount: 0) == 9_800)
        #expect(policy.millisUntilProposal(nowMillis: last + 20_000, lastBlockTimeMillis: last, pendingCount: 0) == 0)
    }

    @Test func aClockBehindTheLastBlockCountsAsNoTimePassed() {
        #expect(!policy.shouldPropose(nowMillis: last - 50_000, lastBlockTimeMillis: last, pendingCount: 5))
        #expect(policy.millisUntilProposal(nowMillis: last - 50, lastBlockTimeMillis: last, pendingCount: 5) == 250)
    }
}
