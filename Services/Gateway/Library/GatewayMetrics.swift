import CityChainAPI
import CityNode
import CoreMetrics

/// The gateway's Prometheus metrics and readiness (docs/METRICS.md).
enum GatewayMetrics {
    /// A submit's outcome: committed, pending, rejected; `failed` when it ended in an error
    /// (no validator answered, forbidden signer, rate limited before it started is counted apart).
    static func submitted(_ outcome: GatewayOutcome?) {
        let label: String
        switch outcome?.state {
        case .committed: label = "committed"
        case .pending: label = "pending"
        case .rejected: label = "rejected"
        case nil: label = "failed"
        }
        Counter(label: "citychain_gateway_submits_total", dimensions: [("outcome", label)]).increment()
    }

    static func rateLimited(submit: Bool) {
        Counter(label: "citychain_gateway_rate_limited_total", dimensions: [("kind", submit ? "submit" : "query")]).increment()
    }

    static func query() { Counter(label: "citychain_gateway_queries_total").increment() }

    /// Registers readiness (a healthy validator; a healthy indexer when any is known; the chain
    /// followed to a validator's head, so expiry checks and receipts have a head) and the gauges.
    static func install(on node: ServiceNode, validators: UpstreamPool, indexers: UpstreamPool, watch: ChainWatch) {
        node.ops.addCheck("validators") {
            validators.anyHealthy ? nil : "no healthy validator upstream (of \(validators.addresses.count) known)"
        }
        node.ops.addCheck("chain") {
            await watch.caughtUp ? nil : "following the chain: at height \(await watch.height), not yet at a validator's head"
        }
        node.ops.addCheck("indexers") {
            indexers.addresses.isEmpty || indexers.anyHealthy ? nil : "no healthy indexer upstream (of \(indexers.addresses.count) known)"
        }
        node.ops.addRefresher {
            Gauge(label: "citychain_gateway_upstreams_healthy", dimensions: [("kind", "validator")])
                .record(validators.health().filter(\.healthy).count)
            Gauge(label: "citychain_gateway_upstreams_healthy", dimensions: [("kind", "indexer")])
                .record(indexers.health().filter(\.healthy).count)
            Gauge(label: "citychain_gateway_head_height").record(Int64(await watch.height))
            Counter(label: "citychain_gateway_queries_total").increment(by: 0)
        }
    }
}
