import CoreMetrics
import Logging
import Synchronization

/// Every connection or call a server refuses, made visible (issue 17 item 5): a counter
/// `citychain_wire_refusals_total{reason}` and a warning log line naming the peer's certificate,
/// at most one per reason every `logInterval` (with how many were not logged since), so that a
/// flood of refusals cannot flood the log.
///
/// Reasons: `handshake` (TLS failed, no or bad certificate, handshake timeout), `forbidden` (a
/// kind the peer's role may not call, or a handler's own refusal), `unknownKind`, `rateLimited`,
/// `tooManyInFlight`, `frame` (malformed, oversized or unfinished frames), `buffers` (the budget
/// of unfinished frames across connections), `connections` (a connection cap), `invalidRequest`.
package enum WireRefusals {
    /// The shortest time between two log lines of one reason.
    package static let logInterval: Duration = .seconds(10)

    private struct Reason {
        let counter: Counter
        var total = 0
        var lastLogged: ContinuousClock.Instant?
        var unlogged = 0
    }

    private static let reasons = Mutex<[String: Reason]>([:])

    /// The refusal reason an error answer stands for, or nil when it is not a refusal (a
    /// handler's `notFound`, `internal`, `timeout` of its own work, `cancelled`, …).
    package static func reason(of code: WireErrorCode) -> String? {
        switch code {
        case .forbidden: "forbidden"
        case .unknownKind: "unknownKind"
        case .rateLimited: "rateLimited"
        case .tooManyInFlight: "tooManyInFlight"
        case .badFrame, .frameTooLarge, .unsupportedVersion: "frame"
        case .invalidRequest: "invalidRequest"
        case .notFound, .unavailable, .timeout, .cancelled, .internal, .conflict: nil
        }
    }

    /// Counts one refusal and logs it unless this reason was logged within `logInterval`.
    package static func record(_ reason: String, peer: String?, detail: String, logger: Logger) {
        let now = ContinuousClock.now
        let (counter, suppressed) = reasons.withLock { all -> (Counter, Int?) in
            var r = all[reason] ?? Reason(counter: Counter(label: "citychain_wire_refusals_total", dimensions: [("reason", reason)]))
            r.total += 1
            var suppressed: Int?
            if let last = r.lastLogged, now - last < logInterval {
                r.unlogged += 1
            } else {
                suppressed = r.unlogged
                r.lastLogged = now
                r.unlogged = 0
            }
            all[reason] = r
            return (r.counter, suppressed)
        }
        counter.increment()
        guard let suppressed else { return }
        logger.warning("refused", metadata: [
            "wire.refusal": "\(reason)", "peer.id": "\(peer ?? "unknown (no certificate)")", "wire.detail": "\(detail)",
            "wire.refusals_not_logged": "\(suppressed)",
        ])
    }

    /// Refusals counted for `reason` in this process (tests and status pages).
    package static func count(_ reason: String) -> Int {
        reasons.withLock { $0[reason]?.total ?? 0 }
    }
}
