import CityChainAPI
import CityNode
import CityPostgres
import CityWire
import CoreMetrics
import Logging
import PostgresNIO

/// The indexer's Prometheus metrics and readiness (docs/METRICS.md).
enum IndexerMetrics {
    /// The label of a query kind (`record`, `history`, …).
    static func name(_ kind: MessageKind) -> String {
        switch kind {
        case IndexerAPI.record: "record"
        case IndexerAPI.history: "history"
        case IndexerAPI.dataset: "dataset"
        case IndexerAPI.transaction: "transaction"
        case IndexerAPI.block: "block"
        case IndexerAPI.audit: "audit"
        default: "\(kind)"
        }
    }

    /// Runs one query, counting it and, when access is refused (`forbidden`), the denial.
    static func counted(_ kind: MessageKind, _ body: () async throws -> [UInt8]) async throws -> [UInt8] {
        let label = name(kind)
        Counter(label: "citychain_indexer_queries_total", dimensions: [("kind", label)]).increment()
        do { return try await body() } catch let error as WireError where error.code == .forbidden {
            Counter(label: "citychain_indexer_denials_total", dimensions: [("kind", label)]).increment()
            throw error
        }
    }

    static func refusedBlock() { Counter(label: "citychain_indexer_refused_blocks_total").increment() }

    /// Sets the gauges from the follower's status.
    static func refresh(_ status: FollowerStatus) async {
        let indexed = await status.indexedHeight
        let chain = await status.chainHeight
        Gauge(label: "citychain_indexer_height").record(Int64(indexed))
        Gauge(label: "citychain_indexer_lag_blocks").record(Int64(chain >= indexed ? chain - indexed : 0))
        Counter(label: "citychain_indexer_refused_blocks_total").increment(by: 0)
    }

    /// Registers the indexer's readiness (PostgreSQL answers; caught up: `IndexerReadiness`) and gauges.
    static func install(on node: ServiceNode, store: IndexStore, status: FollowerStatus, proven: ProvenState, maxLagBlocks: UInt64,
                        logger: Logger) {
        node.ops.addCheck("postgresql") {
            do {
                _ = try await store.client.query("SELECT 1", logger: logger).collect()
                return nil
            } catch {
                return await store.url.notAnswering(after: error, logger: logger)
            }
        }
        node.ops.addCheck("caught up") {
            await IndexerReadiness(source: status.source, indexedHeight: status.indexedHeight, chainHeight: status.chainHeight,
                                   provenHeight: proven.height, maxLagBlocks: maxLagBlocks).problem
        }
        node.ops.addRefresher { await refresh(status) }
    }
}
