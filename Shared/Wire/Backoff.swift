/// How long to wait before trying again after a failure: doubling from `first` up to `cap`, each
/// wait drawn at random between half and all of the current step ("equal jitter", so that the
/// clients of a restarted server do not all come back in the same millisecond), optionally giving
/// up after `maxAttempts` waits. The one retry policy of the services and clients (issue 15).
package struct Backoff: Sendable {
    /// The first step.
    package let first: Duration
    /// The largest step.
    package let cap: Duration
    /// Waits allowed before `next()` returns nil (nil: never gives up).
    package let maxAttempts: Int?
    /// Waits handed out since the last success.
    package private(set) var attempts = 0
    private var step: Duration

    /// A backoff from `first` doubling to `cap`.
    package init(first: Duration = .milliseconds(100), cap: Duration = .seconds(2), maxAttempts: Int? = nil) {
        precondition(first > .zero && cap >= first, "backoff bounds must be positive and ordered: first \(first), cap \(cap)")
        precondition(maxAttempts.map { $0 >= 1 } ?? true, "a backoff allows at least one attempt")
        self.first = first
        self.cap = cap
        self.maxAttempts = maxAttempts
        step = first
    }

    /// The next wait (between half the step and the step), then the step doubles; nil once
    /// `maxAttempts` waits were handed out.
    package mutating func next(using rng: inout some RandomNumberGenerator) -> Duration? {
        if let maxAttempts, attempts >= maxAttempts { return nil }
        attempts += 1
        let nanos = step.nanoseconds
        let wait = Duration.nanoseconds(Int64.random(in: (nanos / 2)...max(nanos / 2, nanos), using: &rng))
        step = min(step * 2, cap)
        assert(wait >= .zero && wait <= cap, "a backoff wait stays within its cap")
        return wait
    }

    /// `next(using:)` with the system's generator.
    package mutating func next() -> Duration? {
        var rng = SystemRandomNumberGenerator()
        return next(using: &rng)
    }

    /// Sleeps the next wait on `clock`; false (at once) when the attempts are used up. Throws when cancelled.
    package mutating func wait(on clock: MonotonicClock = .system) async throws -> Bool {
        guard let d = next() else { return false }
        try await clock.sleep(for: d)
        return true
    }

    /// Back to the first step after a success.
    package mutating func reset() {
        step = first
        attempts = 0
    }
}

extension Duration {
    /// The whole duration in nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (s, a) = components
        let (n, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : n.addingReportingOverflow(a / 1_000_000_000).overflow ? .max : n + a / 1_000_000_000
    }
}
