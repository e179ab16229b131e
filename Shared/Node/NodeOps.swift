import CityOps
import CityPKI
import CityWire
import Foundation
import Logging
import Synchronization

/// The ops side of a service process (docs/METRICS.md): where its ops HTTP server listens, its
/// readiness checks and scrape-time gauges, and what a SIGHUP reloads (the identity files, the
/// clients whose new connections should present the new certificate).
package final class NodeOps: Sendable {
    private struct Settings {
        var listen: HostPort?
        var identityFiles: TLSIdentityFiles?
        var clients: [WireClient] = []
        var reloaded: [@Sendable (TLSIdentity) -> Void] = []
    }

    /// Readiness, draining and refreshers, read by the ops server.
    package let state = OpsState()
    private let settings = Mutex(Settings())

    package init() {}

    /// Serves /healthz, /readyz and /metrics on `listen` (nil: no ops server); reloads the
    /// certificate from `identityFiles` on SIGHUP (nil: SIGHUP is not handled).
    package func configure(listen: HostPort?, identityFiles: TLSIdentityFiles?) {
        settings.withLock { s in
            s.listen = listen
            s.identityFiles = identityFiles
        }
    }

    /// New connections `client` opens after a SIGHUP reload present the new certificate.
    package func reloads(_ client: WireClient) { settings.withLock { $0.clients.append(client) } }

    /// `handler` runs after each successful SIGHUP reload with the new identity (the registry agent
    /// registers the new fingerprint).
    package func onReload(_ handler: @escaping @Sendable (TLSIdentity) -> Void) { settings.withLock { $0.reloaded.append(handler) } }

    /// Adds a readiness condition (nil: ready; otherwise the reason).
    package func addCheck(_ name: String, _ probe: @escaping @Sendable () async -> String?) {
        state.addCheck(ReadinessCheck(name, probe: probe))
    }

    /// Adds a function run before each /metrics scrape (gauges read from actors).
    package func addRefresher(_ refresh: @escaping @Sendable () async -> Void) { state.addRefresher(refresh) }

    var listen: HostPort? { settings.withLock { $0.listen } }
    var identityFiles: TLSIdentityFiles? { settings.withLock { $0.identityFiles } }
    var clients: [WireClient] { settings.withLock { $0.clients } }
    var reloadHandlers: [@Sendable (TLSIdentity) -> Void] { settings.withLock { $0.reloaded } }
}
