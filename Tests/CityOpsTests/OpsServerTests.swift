import CityOps
import CityTestSupport
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import Testing

/// The ops server over real HTTP on 127.0.0.1 port 0: /healthz, /readyz flipping with its checks
/// and with draining, /metrics in the Prometheus text format.
@Suite struct OpsServerTests {
    final class Flag: Sendable {
        let value = Mutex<String?>("PostgreSQL does not answer")
        func set(_ v: String?) { value.withLock { $0 = v } }
        func get() -> String? { value.withLock { $0 } }
    }

    static func get(_ port: Int, _ path: String) async throws -> HTTPGet.Response {
        try await HTTPGet.fetch(port: port, path: path)
    }

    @Test func answersHealthReadinessAndMetrics() async throws {
        let registry = PrometheusCollectorRegistry()
        let height = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "citychain", subsystem: "test", metricName: "height",
                                                                           unitName: "", helpText: "a test gauge"))
        let scrapes = registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "citychain", subsystem: "test", metricName: "scrapes",
                                                                               unitName: "total", helpText: "scrapes seen"))
        height.set(7.0)
        let state = OpsState()
        let database = Flag()
        let serving = Flag()
        serving.set(nil)
        state.addCheck(ReadinessCheck("postgresql") { database.get() })
        state.addRefresher { scrapes.increment() }
        let server = OpsServer(host: "127.0.0.1", port: 0, registry: registry, state: state,
                               healthy: { serving.get() }, logger: Logger(label: "ops-test"))
        let task = Task { try await server.run() }
        defer { task.cancel() }
        let port = await server.boundPort
        #expect(port > 0)

        let health = try await Self.get(port, "/healthz")
        #expect(health.status == 200)

        let notReady = try await Self.get(port, "/readyz")
        #expect(notReady.status == 503)
        let report = try JSONDecoder().decode(ReadinessReport.self, from: Data(notReady.body.utf8))
        #expect(report == ReadinessReport(ready: false, checks: [.init(name: "postgresql", ok: false, reason: "PostgreSQL does not answer")]))

        database.set(nil)
        let ready = try await Self.get(port, "/readyz")
        #expect(ready.status == 200, "\(ready)")
        #expect(try JSONDecoder().decode(ReadinessReport.self, from: Data(ready.body.utf8)).ready)

        let metrics = try await Self.get(port, "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers.lowercased().contains("content-type: text/plain; version=0.0.4"))
        #expect(metrics.body.contains("# TYPE citychain_test_height gauge"))
        #expect(metrics.body.contains("citychain_test_height 7.0"))
        #expect(metrics.body.contains("citychain_test_scrapes_total 1"), "the refreshers ran before the scrape:\n\(metrics.body)")

        state.beginDraining()
        let draining = try await Self.get(port, "/readyz")
        #expect(draining.status == 503)
        #expect(draining.body.contains("shutting down"))

        serving.set("the wire server stopped")
        #expect(try await Self.get(port, "/healthz").status == 503)
        #expect(try await Self.get(port, "/nothing").status == 404)
    }

    @Test func aCheckThatHangsIsReportedNotAwaitedForever() async throws {
        let state = OpsState()
        state.addCheck(ReadinessCheck("stuck") {
            try? await Task.sleep(for: .seconds(600))   // the hang under test (cancelled by the timeout)
            return nil
        })
        let report = await state.readiness(timeout: .milliseconds(200))
        #expect(!report.ready)
        #expect(report.checks.first?.reason?.contains("no answer") == true)
    }

    @Test func drainMarkerFlipsReadinessWhenGracefulShutdownBegins() async throws {
        let state = OpsState()
        let marker = DrainMarker(state: state)
        try await testGracefulShutdown { trigger in
            let task = Task { try await marker.run() }
            #expect(!state.draining)
            trigger.triggerGracefulShutdown()
            try await task.value
        }
        #expect(state.draining)
        #expect(!(await state.readiness()).ready)
    }
}
