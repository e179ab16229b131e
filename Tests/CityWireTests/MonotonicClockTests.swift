import CityTestSupport
import Testing
@testable import CityWire

/// The manual clock tests advance instead of sleeping: its sleepers wake when (and only when) it
/// reaches their time, and a cancelled sleeper stops waiting at once.
@Suite struct MonotonicClockTests {
    @Test func sleepersWakeWhenTheClockReachesThem() async throws {
        let (clock, time) = MonotonicClock.manual(start: .seconds(100))
        #expect(clock.now == .seconds(100))
        // Sleeps on the manual clock under test: they end when the test advances it.
        let short = Task { try await clock.sleep(for: .seconds(5)) }
        let long = Task { try await clock.sleep(for: .seconds(30)) }
        try await withTimeout(120) { try await time.untilSleepers(atLeast: 2) }
        time.advance(by: .seconds(4))
        #expect(time.sleepers == 2, "neither is due at 104 s")
        time.advance(by: .seconds(1))
        try await short.value
        #expect(time.sleepers == 1, "the 5 s sleeper woke at 105 s, the 30 s one sleeps on")
        time.advance(by: .seconds(25))
        try await long.value
        #expect(clock.now == .seconds(130))
        try await clock.sleep(for: .zero)   // the manual clock under test: due at once, returns without an advance
    }

    @Test func aCancelledSleeperStopsWaiting() async throws {
        let (clock, time) = MonotonicClock.manual()
        let sleeper = Task { try await clock.sleep(for: .seconds(60)) }   // on the manual clock under test; cancelled below
        try await withTimeout(120) { try await time.untilSleepers(atLeast: 1) }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(time.sleepers == 0)
    }

    @Test func theSystemClockMoves() async throws {
        let before = MonotonicClock.system.now
        try await MonotonicClock.system.sleep(for: .milliseconds(2))   // the system clock's own sleep under test, not synchronisation
        #expect(MonotonicClock.system.now - before >= .milliseconds(2))
    }
}
