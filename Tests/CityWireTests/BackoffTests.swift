import CityTestSupport
import Testing
@testable import CityWire

/// The one retry policy: doubling steps up to the cap, each wait jittered within [step/2, step],
/// an optional cap on attempts, and a reset after a success.
struct BackoffTests {
    @Test func stepsDoubleToTheCapWithJitterInsideEachStep() {
        var rng = SplitMix64(seed: 7)
        var b = Backoff(first: .milliseconds(100), cap: .seconds(1))
        let steps: [Duration] = [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)]
        var waits: [Duration] = []
        for step in steps {
            let w = b.next(using: &rng)!
            #expect(w >= step / 2 && w <= step, "\(w) within [\(step / 2), \(step)]")
            waits.append(w)
        }
        #expect(Set(waits).count > 1, "jittered, not constant")
        b.reset()
        let again = b.next(using: &rng)!
        #expect(again <= .milliseconds(100) && b.attempts == 1, "a reset starts from the first step")
    }

    @Test func aCapOnAttemptsEndsTheRetries() async throws {
        var b = Backoff(first: .nanoseconds(2), cap: .nanoseconds(4), maxAttempts: 3)
        var slept = 0
        while try await b.wait() { slept += 1 }
        #expect(slept == 3)
        #expect(b.next() == nil)
        b.reset()
        #expect(b.next() != nil)
    }
}

/// A backoff wait that a ring ends early (a peer that came back), on a manual clock: no sleeps.
struct WakeSignalTests {
    @Test func aRingEndsTheWaitBeforeItsTime() async throws {
        let (clock, time) = MonotonicClock.manual()
        let wake = WakeSignal()
        let waiting = Task { try await wake.wait(for: .seconds(2), on: clock) }
        try await time.untilSleepers(atLeast: 1)
        wake.ring()
        try await waiting.value
        #expect(time.now == .zero, "woken by the ring, not by the clock")
    }

    @Test func aRingWithNobodyWaitingEndsTheNextWaitAtOnceAndOnlyIt() async throws {
        let (clock, time) = MonotonicClock.manual()
        let wake = WakeSignal()
        wake.ring()
        try await wake.wait(for: .seconds(2), on: clock)   // returns without the clock moving
        let second = Task { try await wake.wait(for: .seconds(2), on: clock) }
        try await time.untilSleepers(atLeast: 1)
        time.advance(by: .seconds(2))
        try await second.value
        #expect(time.now == .seconds(2), "the kept ring was used once; the next wait ran its time")
    }

    @Test func cancellationEndsTheWaitWithAnError() async throws {
        let (clock, time) = MonotonicClock.manual()
        let wake = WakeSignal()
        let waiting = Task { try await wake.wait(for: .seconds(2), on: clock) }
        try await time.untilSleepers(atLeast: 1)
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }

    @Test func aBackoffWaitEndsEarlyOnARing() async throws {
        let (clock, time) = MonotonicClock.manual()
        let wake = WakeSignal()
        var backoff = Backoff(first: .seconds(1), cap: .seconds(2))
        wake.ring()
        #expect(try await backoff.wait(on: clock, orUntil: wake))
        #expect(time.now == .zero && backoff.attempts == 1)
    }
}
