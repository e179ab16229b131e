import CityChainAPI
import CityLedger
import CityNode
import CityPKI
import CityWire
import Logging
import ServiceLifecycle

/// A registry process assembled: the store (PostgreSQL pool), the routes with the watch, the
/// purger, and optionally its own registry agent.
package struct RegistryRuntime: Sendable {
    package let node: ServiceNode
    package let store: RegistryStore
    package let watch: RegistryWatch
    package let purger: RegistryPurger
    /// Extra services run in the same group (e.g. the process's own `RegistryAgent`).
    package var alongside: [any Service] = []

    /// The chain's revocations as the registry has checked them (refused by its wire server); nil
    /// without a genesis.
    package var revocationWatch: RegistryRevocationWatch?

    /// `genesis`: when given, the registry refuses certificates revoked on chain, learnt from the
    /// indexers of its own directory (or `indexers`, when given) by `RegistryRevocationWatch`.
    package static func assemble(database: RegistryDatabase, tls: TLSIdentity, host: String, port: Int,
                                 pollInterval: Duration = .milliseconds(250), wire: WireConfiguration = WireConfiguration(),
                                 genesis: Genesis? = nil, indexers: (@Sendable () async -> [HostPort])? = nil,
                                 revocationInterval: Duration = .seconds(1),
                                 logger: Logger) throws -> RegistryRuntime {
        let store: RegistryStore
        do { store = try RegistryStore(settings: database, logger: logger) } catch { throw RegistryError(.config, "--postgres URL \(error.message)") }
        let watch = RegistryWatch(store: store, pollInterval: pollInterval)
        let service = RegistryService(store: store, watch: watch, logger: logger)
        let revocations = CertificateRevocations()
        let node = try ServiceNode(role: .registry, host: host, port: port, tls: tls, routes: service.router(),
                                   configuration: wire, revocations: revocations, logger: logger)
        RegistryMetrics.install(on: node, store: store, watch: watch)
        var runtime = RegistryRuntime(node: node, store: store, watch: watch, purger: RegistryPurger(store: store, logger: logger))
        if let genesis {
            let fromDirectory: @Sendable () async -> [HostPort] = {
                ((try? await store.live(kind: .indexer))?.entries ?? []).compactMap { HostPort($0.address) }
            }
            let client = try WireClient(tls: TLSSetup.client(tls), revocations: revocations, logger: logger)
            runtime.revocationWatch = RegistryRevocationWatch(genesis: genesis, client: client, revocations: revocations,
                                                              indexers: indexers ?? fromDirectory, interval: revocationInterval, logger: logger)
        }
        return runtime
    }

    /// Runs until SIGTERM/SIGINT (or cancellation): migrations first, then the server and the rest.
    package func run() async throws {
        // PostgreSQL outlives everything that queries it.
        try await withBackground({ [store] in await store.client.run() }) {
            do { try await store.migrate() } catch {
                let explained = RegistryError(.database, "cannot use the registry's database: \(store.url.explain(error)) (--postgres)")
                node.server.abandon(explained)
                throw explained
            }
            try await node.run(alongside: [purger] + (revocationWatch.map { [$0] } ?? []) + alongside)
        }
    }
}
