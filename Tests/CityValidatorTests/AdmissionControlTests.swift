import Testing
@testable import CityValidator

/// Backpressure at the door: the admission bound follows the committed rate, and a refusal names
/// the time the queue needs to fall to half the bound.
@Suite struct AdmissionControlTests {
    @Test func theBoundFollowsTheCommittedRate() {
        var c = AdmissionControl()
        #expect(c.limit(maxTransactions: 50_000) == 512, "before any commit: the floor")
        #expect(c.retryAfterMillis(pending: 10_000, limit: 512) == 200, "no rate yet: a fixed hint")
        c.committed(transactions: 0, nowMillis: 1_000)
        for i in 1...50 { c.committed(transactions: 400, nowMillis: 1_000 + UInt64(i) * 100) }   // 4,000 tx/s
        #expect(abs(c.committedPerSecond - 4_000) < 1)
        #expect(c.limit(maxTransactions: 50_000) == 1_000, "250 ms of commits")
        #expect(c.limit(maxTransactions: 800) == 800, "never above the mempool's bound")
        #expect(c.retryAfterMillis(pending: 1_000, limit: 1_000) == 125, "until the queue is at half the bound")
        #expect(c.retryAfterMillis(pending: 1_500, limit: 1_000) == 250)
        #expect(c.retryAfterMillis(pending: 1, limit: 1_000) == 20 && c.retryAfterMillis(pending: 1_000_000, limit: 1_000) == 2_000, "bounded hints")
        c.committed(transactions: 400, nowMillis: 1_000 + 50 * 100)   // the same instant again: ignored
        #expect(abs(c.committedPerSecond - 4_000) < 1)
    }

    @Test func theGateSharesTheVerdict() {
        let gate = AdmissionGate()
        #expect(gate.refusal == nil)
        gate.set(refusingFor: 300)
        #expect(gate.refusal == 300)
        gate.set(refusingFor: 0)
        #expect(gate.refusal == 1, "a refusal always carries a retry-after")
        gate.set(refusingFor: nil)
        #expect(gate.refusal == nil)
    }
}
