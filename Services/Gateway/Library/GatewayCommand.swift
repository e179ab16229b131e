import ArgumentParser
import CityLedger
import CityNode
import CityPKI
import CityWire
import Foundation
import Logging

/// `citychain-gateway`: the front door for agencies (docs/GATEWAY.md; docs/PROTOCOL.md, Part 9):
/// per-agency rate limits, cheap checks, fan-out to healthy validators with failover, receipts on
/// finality, queries relayed to healthy indexers.
package struct GatewayCommand: ConfiguredCommand {
    package static let configuration = CommandConfiguration(
        commandName: "citychain-gateway",
        abstract: "CityChain gateway: rate limits, cheap checks, fan-out to validators, receipts on finality, queries to indexers.")

    @OptionGroup package var node: NodeOptions

    @Option(help: "YAML config file (docs/CONFIG.md); the environment (CITYCHAIN_*) and flags override its keys.")
    var config: String?

    @Option(help: "The chain's genesis file (JSON).") var genesis: String
    @Option(name: .customLong("validator"), help: "HOST:PORT of a validator to route to (repeat); with --registry, the registered ones are added.") var validators: [String] = []
    @Option(name: .customLong("indexer"), help: "HOST:PORT of an indexer to route queries to (repeat); with --registry, the registered ones are added.") var indexers: [String] = []
    @Option(help: "Each agency's transaction rate, RATE[:BURST] per second.") var submitRate: String = "500:1000"
    @Option(help: "Each agency's query rate, RATE[:BURST] per second.") var queryRate: String = "1000:2000"
    @Option(name: .customLong("agency-rate"), help: "An agency's own rate for both, AGENCY=RATE[:BURST] (repeat).") var agencyRates: [String] = []
    @Option(help: "Persistent connections kept to each validator and indexer.") var connectionsPerUpstream: Int = 2

    package init() {}

    package func run() async throws {
        let start = try node.start(role: .gateway)
        let runtime = try GatewayRuntime.assemble(settings: try makeSettings(), tls: start.tls, host: start.host, port: start.port,
                                                  wire: start.wire, logger: start.logger)
        // With --registry the gateway also registers itself (ops see it in 'citychain status --registry').
        try runtime.node.configureOps(options: node)
        let agent = try runtime.node.registryAgent(options: node, tls: start.tls, logger: start.logger)
        try await runtime.run(alongside: agent.map { [$0] } ?? [])
    }

    func makeSettings() throws -> GatewaySettings {
        let g = try Genesis.load(path: genesis)
        func addresses(_ list: [String], _ flag: String) throws -> [HostPort] {
            try list.map { v in
                guard let hp = HostPort(v) else { throw ValidationError("--\(flag) '\(v)' must be HOST:PORT, e.g. 127.0.0.1:7101") }
                return hp
            }
        }
        let vs = try addresses(validators, "validator")
        let registries = try node.registryAddresses()
        guard !vs.isEmpty || !registries.isEmpty else {
            throw ValidationError("--validator: name at least one validator to route transactions to, or --registry to find them")
        }
        guard let submit = AgencyRate(text: submitRate) else { throw ValidationError("--submit-rate '\(submitRate)' must be RATE[:BURST] with RATE > 0, e.g. 500:1000") }
        guard let query = AgencyRate(text: queryRate) else { throw ValidationError("--query-rate '\(queryRate)' must be RATE[:BURST] with RATE > 0, e.g. 1000:2000") }
        var overrides: [AgencyID: AgencyRate] = [:]
        for entry in agencyRates {
            guard let eq = entry.firstIndex(of: "="), let rate = AgencyRate(text: entry[entry.index(after: eq)...]),
                  let agency = try? AgencyID(String(entry[..<eq])) else {
                throw ValidationError("--agency-rate '\(entry)' must be AGENCY=RATE[:BURST], e.g. traffic-bureau=2000:4000")
            }
            guard g.agencies.contains(where: { $0.id == agency }) else {
                throw ValidationError("--agency-rate: '\(agency)' is not an agency of this chain's genesis")
            }
            overrides[agency] = rate
        }
        guard (1...16).contains(connectionsPerUpstream) else { throw ValidationError("--connections-per-upstream must be 1…16") }
        var settings = GatewaySettings(genesis: g, validators: vs, indexers: try addresses(indexers, "indexer"), submitRate: submit,
                                       queryRate: query, agencyRates: overrides, connectionsPerUpstream: connectionsPerUpstream)
        settings.registries = registries
        return settings
    }
}

extension GatewayCommand {
    /// Every key of the gateway's YAML config (docs/CONFIG.md, "Gateway").
    package static let configSchema = ConfigSchema(service: "citychain-gateway", settings: ConfigSchema.nodeSettings + [
        ConfigSetting("genesis", .file(.readable), flag: "--genesis", required: true, help: "The chain's genesis file (JSON).",
                      fix: "point it at the chain's genesis file (the validators' genesis)"),
        ConfigSetting("validators", .hostPort(allowZero: false), list: .repeated, flag: "--validator", default: "none: the registry's",
                      help: "Validators to route transactions to (with registry.addresses, the registered ones are added).",
                      fix: "write a list of HOST:PORT, e.g. validators: [10.0.0.11:7101, 10.0.0.12:7101]"),
        ConfigSetting("indexers", .hostPort(allowZero: false), list: .repeated, flag: "--indexer", default: "none: the registry's",
                      help: "Indexers to route queries to (with registry.addresses, the registered ones are added).",
                      fix: "write a list of HOST:PORT, e.g. indexers: [10.0.0.21:7201]"),
        ConfigSetting("rates.submit", .string, flag: "--submit-rate", default: "500:1000",
                      help: "Each agency's transaction rate, RATE[:BURST] per second.",
                      fix: "write RATE[:BURST] with RATE > 0, e.g. rates.submit: \"500:1000\"", check: GatewayCommand.rateProblem),
        ConfigSetting("rates.query", .string, flag: "--query-rate", default: "1000:2000",
                      help: "Each agency's query rate, RATE[:BURST] per second.",
                      fix: "write RATE[:BURST] with RATE > 0, e.g. rates.query: \"1000:2000\"", check: GatewayCommand.rateProblem),
        ConfigSetting("rates.agencies", .string, list: .repeated, flag: "--agency-rate", default: "none",
                      help: "Agencies' own rates for both, AGENCY=RATE[:BURST].",
                      fix: "write a list of AGENCY=RATE[:BURST], e.g. rates.agencies: [\"traffic-bureau=2000:4000\"]"),
        ConfigSetting("connectionsPerUpstream", .int(1...16), flag: "--connections-per-upstream", default: "2",
                      help: "Persistent connections kept to each validator and indexer.",
                      fix: "write a whole number from 1 to 16, e.g. connectionsPerUpstream: 2"),
    ])

    /// Nil when `text` is RATE[:BURST] (as `--submit-rate` takes it).
    static let rateProblem: @Sendable (String) -> String? = { AgencyRate(text: $0[...]) == nil ? "is not RATE[:BURST]" : nil }
}
