import Synchronization

/// The monotonic time a service reads for ages, timeouts and intervals: the system's clock in
/// production; in tests a manual one, which the test advances instead of sleeping (issue 15).
/// `now` is the time since an origin fixed for the clock, so readings compare and subtract.
package struct MonotonicClock: Sendable {
    private let read: @Sendable () -> Duration

    /// A clock read by `read`.
    package init(_ read: @escaping @Sendable () -> Duration) { self.read = read }

    /// The time since this clock's origin.
    package var now: Duration { read() }

    /// The system's monotonic clock (`ContinuousClock`), from the first use in the process.
    package static let system: MonotonicClock = {
        let origin = ContinuousClock.now
        return MonotonicClock { ContinuousClock.now - origin }
    }()

    /// A clock that moves only when its `ManualTime` is advanced.
    package static func manual(start: Duration = .zero) -> (clock: MonotonicClock, time: ManualTime) {
        let time = ManualTime(start)
        return (MonotonicClock { time.now }, time)
    }
}

/// The hand of a manual `MonotonicClock`.
package final class ManualTime: Sendable {
    private let value: Mutex<Duration>

    init(_ start: Duration) { value = Mutex(start) }

    /// The time now.
    package var now: Duration { value.withLock { $0 } }

    /// Moves the clock forward by `step` (never back).
    package func advance(by step: Duration) {
        precondition(step >= .zero, "a monotonic clock never goes back (step \(step))")
        value.withLock { $0 += step }
    }
}
