import Synchronization

/// Backpressure at the door (issue 13 item 5): client submissions are admitted while the mempool
/// holds less than about `targetQueueMillis` of what the chain commits (an EWMA of committed
/// transactions per second: about one block at the saturation cadence; 250 ms halved the
/// latency at saturation against 500 ms for a few percent of peak rate, docs/BENCHMARKS.md), at
/// least `minPending`;
/// beyond that a submission is refused with `rateLimited` and a retry-after of the time the queue
/// needs to fall to half the bound, before its signatures are checked. Queues therefore stay short under overload
/// and the committed rate does not fall. Pure arithmetic; `AdmissionGate` shares its verdict.
package struct AdmissionControl: Sendable, Hashable {
    /// Queue length aimed at, in milliseconds of commits.
    package var targetQueueMillis: Double = 250
    /// Pending transactions always admitted (an idle chain, a cold start).
    package var minPending: Int = 512
    /// Smoothing of the committed rate (weight of the newest block).
    package var smoothing: Double = 0.2
    /// Committed transactions per second, smoothed (0 until two commits were seen).
    package private(set) var committedPerSecond: Double = 0
    private var lastCommitMillis: UInt64?

    /// A control with the defaults.
    package init() {}

    /// Notes a committed block of `transactions` at `nowMillis` (monotonic).
    package mutating func committed(transactions: Int, nowMillis: UInt64) {
        defer { lastCommitMillis = nowMillis }
        guard let last = lastCommitMillis, nowMillis > last else { return }
        let sample = Double(transactions) * 1000 / Double(nowMillis - last)
        committedPerSecond = committedPerSecond == 0 ? sample : committedPerSecond + smoothing * (sample - committedPerSecond)
        assert(committedPerSecond.isFinite && committedPerSecond >= 0, "the committed rate is a finite, non-negative number")
    }

    /// Most pending transactions before client submissions are refused, at most `maxTransactions`.
    package func limit(maxTransactions: Int) -> Int {
        precondition(maxTransactions > 0, "the mempool holds at least one transaction")
        let byRate = Int(committedPerSecond * targetQueueMillis / 1000)
        return min(maxTransactions, max(minPending, byRate))
    }

    /// The retry-after for a refusal while `pending` wait and the bound is `limit`: the time the
    /// chain takes to bring the queue down to half the bound, 20 ms–2 s. Not the time to drain it
    /// all: clients that come back only once the queue is empty leave the proposers short of
    /// transactions (overload committed 75-80% of the saturation rate with that hint).
    package func retryAfterMillis(pending: Int, limit: Int) -> UInt32 {
        guard committedPerSecond > 0 else { return 200 }
        let excess = Double(max(0, pending - limit / 2))
        return UInt32(min(2000, max(20, excess * 1000 / committedPerSecond)))
    }
}

/// The admission verdict shared with the routes, so a refused submission costs no signature check
/// and no actor hop: 0 while open, else the retry-after in milliseconds.
package final class AdmissionGate: Sendable {
    private let retryAfter = Atomic<UInt32>(0)

    /// An open gate.
    package init() {}

    /// The retry-after in milliseconds while submissions are refused, nil while admitted.
    package var refusal: UInt32? {
        let v = retryAfter.load(ordering: .relaxed)
        return v == 0 ? nil : v
    }

    /// Opens the gate, or closes it with `retryAfterMillis` (≥ 1).
    package func set(refusingFor retryAfterMillis: UInt32?) {
        retryAfter.store(retryAfterMillis.map { max(1, $0) } ?? 0, ordering: .relaxed)
    }
}
