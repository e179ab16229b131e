import CityChainAPI
import CityLedger
import CityNode
import CityPKI
import CityWire
import Logging
import ServiceLifecycle

/// What a gateway needs to run.
package struct GatewaySettings: Sendable {
    package var genesis: Genesis
    /// Validators and indexers named on the command line (the registry adds the live ones).
    package var validators: [HostPort]
    package var indexers: [HostPort]
    package var submitRate: AgencyRate
    package var queryRate: AgencyRate
    package var agencyRates: [AgencyID: AgencyRate]
    package var connectionsPerUpstream: Int
    /// Registries whose live validators and indexers are routed to as well (empty: flags only).
    package var registries: [HostPort] = []
    /// Start the chain watch from an indexer's proven starting state near the head, when an indexer
    /// answers within 5 s (else, and with false, replay the chain from block 1).
    package var startNearHead = true

    package init(genesis: Genesis, validators: [HostPort], indexers: [HostPort] = [],
                 submitRate: AgencyRate = AgencyRate(perSecond: 500, burst: 1000),
                 queryRate: AgencyRate = AgencyRate(perSecond: 1000, burst: 2000),
                 agencyRates: [AgencyID: AgencyRate] = [:], connectionsPerUpstream: Int = 2) {
        self.genesis = genesis
        self.validators = validators
        self.indexers = indexers
        self.submitRate = submitRate
        self.queryRate = queryRate
        self.agencyRates = agencyRates
        self.connectionsPerUpstream = connectionsPerUpstream
    }
}

/// A gateway process assembled: upstream pools for validators and indexers, the chain watch, the
/// routes on the wire server.
package struct GatewayRuntime: Sendable {
    package let node: ServiceNode
    package let service: GatewayService
    package let validators: UpstreamPool
    package let indexers: UpstreamPool
    package let watch: ChainWatch
    /// The registry watch feeding the pools (nil without registries).
    package let discovery: Discovery?

    package static func assemble(settings s: GatewaySettings, tls: TLSIdentity, host: String, port: Int,
                                 wire: WireConfiguration = WireConfiguration(), logger: Logger) throws -> GatewayRuntime {
        let revocations = CertificateRevocations()
        let client = try WireClient(tls: TLSSetup.client(tls), revocations: revocations, logger: logger)
        let chainID = s.genesis.chainID
        let validators = UpstreamPool(role: .validator, client: client, connectionsPerUpstream: s.connectionsPerUpstream, logger: logger) { conn in
            let st = try ValidatorStatus(canonicalBytes: try await conn.request(ValidatorAPI.status, [], timeout: .seconds(3)))
            guard st.chainID == chainID else {
                throw WireError(.conflict, "validator '\(st.name)' serves chain '\(st.chainID)', not '\(chainID)'")
            }
            return st.height
        }
        let indexers = UpstreamPool(role: .indexer, client: client, connectionsPerUpstream: s.connectionsPerUpstream, logger: logger) { conn in
            try IndexerStatus(canonicalBytes: try await conn.request(IndexerAPI.status, [], timeout: .seconds(3))).indexedHeight
        }
        validators.setAddresses(Set(s.validators))
        indexers.setAddresses(Set(s.indexers))
        let genesis = s.genesis
        let discovering = !s.registries.isEmpty
        var startingPoint: (@Sendable () async -> ChainWatch.StartingPoint?)?
        if s.startNearHead {
            startingPoint = { @Sendable [indexers] in
                await NearHeadStart.fetch(genesis: genesis, indexers: indexers, discovering: discovering, wait: .seconds(5), logger: logger)
            }
        }
        let watch = try ChainWatch(genesis: genesis, pool: validators, startingPoint: startingPoint, revocations: revocations, logger: logger)
        let service = GatewayService(chainID: chainID, validators: validators, indexers: indexers, watch: watch,
                                     submitLimits: RateLimiter(defaultRate: s.submitRate, overrides: s.agencyRates),
                                     queryLimits: RateLimiter(defaultRate: s.queryRate, overrides: s.agencyRates),
                                     logger: logger)
        let node = try ServiceNode(role: .gateway, host: host, port: port, tls: tls, routes: service.router(),
                                   configuration: wire, revocations: revocations, logger: logger)
        node.ops.reloads(client)
        GatewayMetrics.install(on: node, validators: validators, indexers: indexers, watch: watch)
        let discovery = s.registries.isEmpty ? nil
            : Discovery(directory: RegistryDirectory(registries: s.registries, client: client, logger: logger), validators: validators,
                        indexers: indexers, staticValidators: Set(s.validators), staticIndexers: Set(s.indexers), logger: logger)
        return GatewayRuntime(node: node, service: service, validators: validators, indexers: indexers, watch: watch, discovery: discovery)
    }

    /// Serves until SIGTERM/SIGINT (in-flight requests drain), then stops the upstream keepers.
    package func run(alongside extra: [any Service] = []) async throws {
        defer {
            validators.shutdown()
            indexers.shutdown()
        }
        try await node.run(alongside: [watch] + (discovery.map { [$0] } ?? []) + extra)
    }
}
