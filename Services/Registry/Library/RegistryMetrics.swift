import CityChainAPI
import CityNode
import CityPostgres
import CoreMetrics

/// The registry's Prometheus metrics and readiness (docs/METRICS.md).
enum RegistryMetrics {
    /// Registers readiness (PostgreSQL answers) and the gauges set before each scrape: live
    /// entries by kind (read from PostgreSQL) and open watches (this replica).
    static func install(on node: ServiceNode, store: RegistryStore, watch: RegistryWatch) {
        node.ops.addCheck("postgresql") {
            do {
                _ = try await store.head()
                return nil
            } catch {
                return await store.url.notAnswering(after: error, logger: store.logger)
            }
        }
        node.ops.addRefresher {
            Gauge(label: "citychain_registry_watches").record(watch.openWatches)
            guard let live = try? await store.live(kind: nil) else { return }
            for kind in ServiceKind.allCases {
                Gauge(label: "citychain_registry_entries", dimensions: [("kind", "\(kind)")])
                    .record(live.entries.filter { $0.kind == kind }.count)
            }
        }
    }
}
