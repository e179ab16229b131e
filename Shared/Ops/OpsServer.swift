import CityEncoding
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import Synchronization

/// One readiness condition: a name and a probe that returns nil when the condition holds, or why
/// it does not ("no validator upstream is healthy").
package struct ReadinessCheck: Sendable {
    /// Shown in /readyz's body.
    package let name: String
    /// nil: ready; otherwise the reason it is not.
    package let probe: @Sendable () async -> String?

    package init(_ name: String, probe: @escaping @Sendable () async -> String?) {
        self.name = name
        self.probe = probe
    }
}

/// What a process tells its ops server: serving (for /healthz), draining (for /readyz), and the
/// checks and scrape-time refreshers the service registered.
package final class OpsState: Sendable {
    private struct State {
        var draining = false
        var checks: [ReadinessCheck] = []
        var refreshers: [@Sendable () async -> Void] = []
    }

    private let state = Mutex(State())

    package init() {}

    /// True once graceful shutdown began: /readyz answers 503 from then on.
    package var draining: Bool { state.withLock { $0.draining } }

    /// Marks the process as draining (shutdown began).
    package func beginDraining() { state.withLock { $0.draining = true } }

    /// Adds a readiness condition.
    package func addCheck(_ check: ReadinessCheck) { state.withLock { $0.checks.append(check) } }

    /// Adds a function run before each /metrics scrape (to set gauges read from actors).
    package func addRefresher(_ refresh: @escaping @Sendable () async -> Void) { state.withLock { $0.refreshers.append(refresh) } }

    var checks: [ReadinessCheck] { state.withLock { $0.checks } }
    var refreshers: [@Sendable () async -> Void] { state.withLock { $0.refreshers } }

    /// Runs every check (each bounded by `timeout`) and returns the report; draining makes it not ready.
    package func readiness(timeout: Duration = .seconds(3)) async -> ReadinessReport {
        var results: [ReadinessReport.Check] = []
        for check in checks {
            let reason = await Self.bounded(check, timeout: timeout)
            results.append(.init(name: check.name, ok: reason == nil, reason: reason))
        }
        if draining { results.append(.init(name: "shutdown", ok: false, reason: "the process is shutting down (draining in-flight requests)")) }
        return ReadinessReport(ready: results.allSatisfy(\.ok), checks: results)
    }

    private static func bounded(_ check: ReadinessCheck, timeout: Duration) async -> String? {
        await withTaskGroup(of: String??.self) { group in
            group.addTask { .some(await check.probe()) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return Task.isCancelled ? nil : .some("no answer within \(timeout)")
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? nil
        }
    }
}

/// The body of /readyz.
@MemberwiseInit
package struct ReadinessReport: Codable, Sendable, Equatable {
    package struct Check: Codable, Sendable, Equatable {
        package var name: String
        package var ok: Bool
        package var reason: String?

        package init(name: String, ok: Bool, reason: String? = nil) {
            self.name = name
            self.ok = ok
            self.reason = reason
        }
    }

    package var ready: Bool
    package var checks: [Check]

    package func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? #"{"ready":false}"#
    }
}

/// The ops HTTP server (Hummingbird) of a service process: GET /healthz, GET /readyz, GET /metrics.
/// HTTP serves only these; services talk the binary protocol to each other. A ServiceLifecycle
/// service: on graceful shutdown it stops accepting and finishes in-flight requests.
package final class OpsServer: Service {
    private let host: String
    private let port: Int
    private let registry: PrometheusCollectorRegistry
    private let state: OpsState
    private let healthy: @Sendable () -> String?
    private let logger: Logger
    private let bound = Mutex<(port: Int?, waiters: [CheckedContinuation<Int, Never>])>((nil, []))

    /// - Parameters:
    ///   - healthy: nil while the process serves (wire server bound), else why not (/healthz 503).
    package init(host: String, port: Int, registry: PrometheusCollectorRegistry, state: OpsState,
                 healthy: @escaping @Sendable () -> String? = { nil }, logger: Logger) {
        self.host = host
        self.port = port
        self.registry = registry
        self.state = state
        self.healthy = healthy
        self.logger = logger
    }

    /// The port bound (waits until the server runs).
    package var boundPort: Int {
        get async {
            await withCheckedContinuation { c in
                let port: Int? = bound.withLock { s in
                    if let p = s.port { return p }   // kept as a number: an address string would need parsing (IPv6)
                    s.waiters.append(c)
                    return nil
                }
                if let port { c.resume(returning: port) }
            }
        }
    }

    package func run() async throws {
        let router = Router()
        let state = self.state
        let registry = self.registry
        let healthy = self.healthy
        router.get("/healthz") { _, _ -> Response in
            if let reason = healthy() { return Self.text(.serviceUnavailable, "not serving: \(reason)\n") }
            return Self.text(.ok, "ok\n")
        }
        router.get("/readyz") { _, _ -> Response in
            let report = await state.readiness()
            return Self.body(report.ready ? .ok : .serviceUnavailable, report.json() + "\n", type: "application/json")
        }
        router.get("/metrics") { _, _ -> Response in
            for refresh in state.refreshers { await refresh() }
            return Self.body(.ok, String(decoding: registry.emitToBuffer(), as: UTF8.self),
                             type: "text/plain; version=0.0.4; charset=utf-8")
        }
        var opsLogger = logger
        opsLogger.logLevel = max(logger.logLevel, .notice)   // request logs stay quiet
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
                              onServerRunning: { [self] channel in
                                  let port = channel.localAddress?.port ?? 0
                                  let waiters = self.bound.withLock { s -> [CheckedContinuation<Int, Never>] in
                                      s.port = port
                                      defer { s.waiters = [] }
                                      return s.waiters
                                  }
                                  for w in waiters { w.resume(returning: port) }
                                  logger.info("ops server listening", metadata: ["ops.address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
                              }, logger: opsLogger)
        try await app.run()
        logger.info("ops server stopped")
    }

    private static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        body(status, text, type: "text/plain; charset=utf-8")
    }

    private static func body(_ status: HTTPResponse.Status, _ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Added last to a service group (so shutdown reaches it first): when graceful shutdown begins it
/// marks the process as draining, so /readyz answers 503 while the other services drain.
@MemberwiseInit
package struct DrainMarker: Service {
    private let state: OpsState

    package func run() async throws {
        try? await gracefulShutdown()
        state.beginDraining()
    }
}
