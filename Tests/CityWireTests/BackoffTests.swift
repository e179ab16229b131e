import Testing
@testable import CityWire

/// The one retry policy: doubling steps up to the cap, each wait jittered within [step/2, step],
/// an optional cap on attempts, and a reset after a success.
struct BackoffTests {
    /// A fixed-seed generator (SplitMix64), so the draws are the same on every run.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func stepsDoubleToTheCapWithJitterInsideEachStep() {
        var rng = Seeded(state: 7)
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
