import CityChainAPI
import CityLedger
import CityNode
import CityPKI
import CityWire
import Foundation
import Logging
import ServiceLifecycle
@preconcurrency import Crypto

/// What an indexer needs to run.
package struct IndexerSettings: Sendable {
    package var genesis: Genesis
    package var postgres: PostgresSettings
    /// Hot-standby replicas of `postgres` the queries may read (docs/OPERATIONS.md, "Read replicas").
    package var postgresRead: [PostgresSettings] = []
    package var validators: [HostPort]
    /// The indexer's operator agency: its anchors prove the audit trail.
    package var auditAgency: AgencyID
    /// Its signing key and key id, to anchor (nil: record disclosures but do not anchor).
    package var auditKey: (KeyID, Curve25519.Signing.PrivateKey)?
    package var anchorPeriod: Duration
    package var maxBlocksPerWrite: Int
    /// Bounds of the feeds served (kind 0x0209).
    package var feedLimits = FeedLimits()
    /// Blocks behind the chain's head the indexer may be and still be ready (/readyz).
    package var readyMaxLagBlocks: UInt64 = 2
    /// Transactions behind the head (estimated) from which the indexer catches up with the
    /// transactions table's indexes dropped, building them when it reaches the head (0: never).
    package var bulkLoadTransactions = 200_000
    /// Start a fresh index from the validators' snapshots instead of block 1 (`--state-sync`),
    /// trusting this; nil: index from genesis. Ignored once the database holds an index.
    package var stateSync: StateSyncTrust?

    package init(genesis: Genesis, postgres: PostgresSettings, validators: [HostPort], auditAgency: AgencyID,
                 auditKey: (KeyID, Curve25519.Signing.PrivateKey)? = nil, anchorPeriod: Duration = .seconds(60),
                 maxBlocksPerWrite: Int = 500) {
        self.genesis = genesis
        self.postgres = postgres
        self.validators = validators
        self.auditAgency = auditAgency
        self.auditKey = auditKey
        self.anchorPeriod = anchorPeriod
        self.maxBlocksPerWrite = maxBlocksPerWrite
    }
}

/// An indexer process assembled: the store (PostgreSQL pool), the proven state, the chain follower,
/// the query routes on the wire server, and the audit anchorer.
package struct IndexerRuntime: Sendable {
    package let node: ServiceNode
    package let store: IndexStore
    package let proven: ProvenState
    package let status: FollowerStatus
    package let follower: ChainFollower
    package let queries: QueryService
    package let anchorer: AuditAnchorer?
    package let feeds: FeedService

    package static func assemble(settings s: IndexerSettings, tls: TLSIdentity, host: String, port: Int,
                                 wire: WireConfiguration = WireConfiguration(), logger: Logger) throws -> IndexerRuntime {
        guard !s.validators.isEmpty else { throw IndexerError(.config, "validators: name at least one validator to follow (--validator HOST:PORT)") }
        let store: IndexStore
        do { store = try IndexStore(settings: s.postgres, readReplicas: s.postgresRead, logger: logger) } catch {
            throw IndexerError(.config, "--postgres or --postgres-read URL \(error.message)")
        }
        let proven = try ProvenState(genesis: s.genesis)
        let status = FollowerStatus()
        let client = try WireClient(tls: TLSSetup.client(tls), revocations: proven.revocations, logger: logger)
        let follower = try ChainFollower(store: store, proven: proven, genesis: s.genesis, validators: s.validators, client: client,
                                     status: status, maxBlocksPerWrite: s.maxBlocksPerWrite, bulkLoadTransactions: s.bulkLoadTransactions,
                                     stateSync: s.stateSync, logger: logger)
        let queries = QueryService(store: store, proven: proven, status: status, auditAgency: s.auditAgency,
                                   genesisSet: try ValidatorSet(s.genesis.validators),
                                   prehistory: Prehistory(client: client, validators: s.validators, logger: logger), logger: logger)
        let feeds = FeedService(store: store, proven: proven, queries: queries, limits: s.feedLimits, logger: logger)
        var routes = queries.router()
        feeds.addRoutes(to: &routes)
        let node = try ServiceNode(role: .indexer, host: host, port: port, tls: tls, routes: routes, configuration: wire,
                                   revocations: proven.revocations, logger: logger)
        node.ops.reloads(client)
        IndexerMetrics.install(on: node, store: store, status: status, proven: proven, maxLagBlocks: s.readyMaxLagBlocks, logger: logger)
        let anchorer = s.auditKey.map { keyID, key in
            AuditAnchorer(store: store, proven: proven, agency: s.auditAgency, keyID: keyID, key: key, validators: s.validators,
                          client: client, period: s.anchorPeriod, logger: logger)
        }
        return IndexerRuntime(node: node, store: store, proven: proven, status: status, follower: follower, queries: queries, anchorer: anchorer,
                              feeds: feeds)
    }

    /// Runs until SIGTERM/SIGINT (or cancellation): migrations first, then everything together
    /// (with `extra`, e.g. the process's `RegistryAgent`).
    package func run(alongside extra: [any Service] = []) async throws {
        // PostgreSQL outlives everything that queries it, feeds' shared reads included.
        try await withBackground({ [store] in await store.runClients() }) {
            do { try await store.migrate() } catch {
                node.server.abandon(error)
                throw error
            }
            do {
                try await node.run(alongside: [follower, feeds.hub] + (anchorer.map { [$0] } ?? []) + extra)
            } catch {
                await feeds.settle()
                throw error
            }
            await feeds.settle()
        }
    }
}
