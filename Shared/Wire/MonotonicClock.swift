import Synchronization

/// The monotonic time a service reads and sleeps on for ages, timeouts and intervals: the system's
/// clock in production; in tests a manual one, which the test advances instead of sleeping (issue
/// 15). `now` is the time since an origin fixed for the clock, so readings compare and subtract.
package struct MonotonicClock: Sendable {
    private let read: @Sendable () -> Duration
    private let sleeper: @Sendable (Duration) async throws -> Void

    /// A clock read by `read` whose sleeps are `sleep`.
    package init(_ read: @escaping @Sendable () -> Duration, sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.read = read
        sleeper = sleep
    }

    /// The time since this clock's origin.
    package var now: Duration { read() }

    /// Suspends for `duration` of this clock's time; throws `CancellationError` when cancelled.
    package func sleep(for duration: Duration) async throws { try await sleeper(duration) }

    /// The system's monotonic clock (`ContinuousClock`), from the first use in the process.
    package static let system: MonotonicClock = {
        let origin = ContinuousClock.now
        return MonotonicClock({ ContinuousClock.now - origin }, sleep: { try await Task.sleep(for: $0) })
    }()

    /// A clock that moves only when its `ManualTime` is advanced; its sleepers wake then.
    package static func manual(start: Duration = .zero) -> (clock: MonotonicClock, time: ManualTime) {
        let time = ManualTime(start)
        return (MonotonicClock({ time.now }, sleep: { try await time.sleep(until: time.now + $0) }), time)
    }
}

/// The hand of a manual `MonotonicClock`: tests advance it, and see who sleeps on it.
package final class ManualTime: Sendable {
    private struct State {
        var now: Duration
        var nextID: UInt64 = 0
        var sleepers: [UInt64: (until: Duration, wake: CheckedContinuation<Void, any Error>)] = [:]
        /// Tests waiting for the number of sleepers to reach a count.
        var watchers: [UInt64: (count: Int, wake: CheckedContinuation<Void, any Error>)] = [:]

        /// The watchers whose count is reached, removed.
        mutating func reached() -> [CheckedContinuation<Void, any Error>] {
            let ready = watchers.filter { $0.value.count <= sleepers.count }
            for id in ready.keys { watchers.removeValue(forKey: id) }
            return ready.values.map(\.wake)
        }
    }
    private let state: Mutex<State>

    init(_ start: Duration) { state = Mutex(State(now: start)) }

    /// The time now.
    package var now: Duration { state.withLock { $0.now } }

    /// Tasks asleep on this clock now (a test waits for a component to be asleep before advancing).
    package var sleepers: Int { state.withLock { $0.sleepers.count } }

    /// Returns once at least `count` tasks sleep on this clock: a test waits for the component it
    /// drives to be asleep (an event, not a poll) before advancing. Throws when cancelled.
    package func untilSleepers(atLeast count: Int) async throws {
        let id = state.withLock { s in s.nextID += 1; return s.nextID }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (wake: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = state.withLock { s in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if s.sleepers.count >= count { return .success(()) }
                    s.watchers[id] = (count, wake)
                    return nil
                }
                if let outcome { wake.resume(with: outcome) }
            }
        } onCancel: {
            state.withLock { $0.watchers.removeValue(forKey: id) }?.wake.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward by `step` (never back) and wakes every sleeper whose time has come.
    package func advance(by step: Duration) {
        precondition(step >= .zero, "a monotonic clock never goes back (step \(step))")
        let due = state.withLock { s in
            s.now += step
            let ready = s.sleepers.filter { $0.value.until <= s.now }
            for id in ready.keys { s.sleepers.removeValue(forKey: id) }
            return ready.values.map(\.wake)
        }
        for wake in due { wake.resume() }
    }

    /// Suspends until the clock reaches `deadline` (at once if it has).
    func sleep(until deadline: Duration) async throws {
        let id = state.withLock { s in s.nextID += 1; return s.nextID }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (wake: CheckedContinuation<Void, any Error>) in
                let (outcome, watchers): (Result<Void, any Error>?, [CheckedContinuation<Void, any Error>]) = state.withLock { s in
                    if Task.isCancelled { return (.failure(CancellationError()), []) }
                    if s.now >= deadline { return (.success(()), []) }
                    s.sleepers[id] = (deadline, wake)
                    return (nil, s.reached())
                }
                if let outcome { wake.resume(with: outcome) }
                for w in watchers { w.resume() }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.wake.resume(throwing: CancellationError())
        }
    }
}
