import CityEncoding
import CityLedger

/// A token bucket: `rate` tokens per second up to `burst`; each request takes one. Pure: the
/// caller passes the time (seconds on a monotonic clock).
package struct TokenBucket: Sendable, Hashable {
    package let rate: Double
    package let burst: Double
    private var tokens: Double
    private var last: Double

    package init(rate: Double, burst: Double, now: Double) {
        self.rate = rate
        self.burst = burst
        tokens = burst
        last = now
    }

    /// Takes one token, or says how many milliseconds until one is there.
    package mutating func take(now: Double) -> TakeResult {
        if now > last {
            tokens = min(burst, tokens + (now - last) * rate)
            last = now
        }
        if tokens >= 1 {
            tokens -= 1
            return .granted
        }
        let wait = rate > 0 ? (1 - tokens) / rate : 60
        return .retryAfter(millis: UInt32(min(60_000, max(1, (wait * 1000).rounded(.up)))))
    }

    package enum TakeResult: Hashable, Sendable {
        case granted
        case retryAfter(millis: UInt32)
    }
}

/// A rate for one agency: tokens per second and the burst it may spend at once.
@MemberwiseInit
package struct AgencyRate: Hashable, Sendable, CustomStringConvertible {
    package var perSecond: Double
    package var burst: Double

    /// Parses `RATE[:BURST]` (burst defaults to twice the rate, at least 1).
    package init?(text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let r = Double(parts[0]), r > 0, r.isFinite else { return nil }
        let b = parts.count == 2 ? Double(parts[1]) : max(1, 2 * r)
        guard let b, b >= 1, b.isFinite else { return nil }
        self.init(perSecond: r, burst: b)
    }

    package var description: String { "\(perSecond)/s, burst \(burst)" }
}

/// Per-agency token buckets for one kind of request (submits, or queries). Each agency has its own
/// bucket, so an agency over its rate is refused without slowing the others. Pure.
package struct RateLimiter: Sendable {
    package let defaultRate: AgencyRate
    package let overrides: [AgencyID: AgencyRate]
    private var buckets: [AgencyID: TokenBucket] = [:]

    package init(defaultRate: AgencyRate, overrides: [AgencyID: AgencyRate] = [:]) {
        self.defaultRate = defaultRate
        self.overrides = overrides
    }

    /// The rate `agency` gets.
    package func rate(for agency: AgencyID) -> AgencyRate { overrides[agency] ?? defaultRate }

    /// Takes one token from `agency`'s bucket.
    package mutating func take(_ agency: AgencyID, now: Double) -> TokenBucket.TakeResult {
        if buckets[agency] == nil {
            let r = rate(for: agency)
            buckets[agency] = TokenBucket(rate: r.perSecond, burst: r.burst, now: now)
        }
        return buckets[agency]!.take(now: now)
    }

    /// Agencies with a bucket (those that sent something).
    package var agencyCount: Int { buckets.count }
}
