import ArgumentParser
import CityLedger
import CityNode
import CityPKI
import Logging

/// `citychain-registry`: the directory of running services, with leases renewed by heartbeat,
/// lookups and a watch stream, backed by PostgreSQL so replicas are interchangeable
/// (docs/REGISTRY.md; docs/OPERATIONS.md, "Running the registry").
package struct RegistryCommand: ConfiguredCommand {
    package static let configuration = CommandConfiguration(
        commandName: "citychain-registry",
        abstract: "CityChain registry: services register with leases; lookups and a watch stream; state in PostgreSQL.")

    @OptionGroup package var node: NodeOptions

    @Option(help: "YAML config file (docs/CONFIG.md); the environment (CITYCHAIN_*) and flags override its keys.")
    var config: String?

    @Option(help: "PostgreSQL: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE&sslrootcert=CA.pem] (schema 'registry' is created); TLS 1.3 with the server's certificate checked against --ca unless it says otherwise.") var postgres: String
    @Option(help: "Milliseconds between a watch's checks of the directory (50-5000).") var watchPollMillis: Int = 250
    @Option(help: "The chain's genesis file: with it the registry refuses certificates revoked on chain, learnt from the indexers in its directory and checked against this genesis.")
    var genesis: String?

    package init() {}

    package func run() async throws {
        let start = try node.start(role: .registry)
        let database: RegistryDatabase
        do { database = try PostgresURL(postgres).withDefaultRootCertificate(node.ca) } catch { throw ValidationError("--postgres URL \(error.message)") }
        guard (50...5000).contains(watchPollMillis) else { throw ValidationError("--watch-poll-millis must be 50 to 5000") }
        let chain = try genesis.map { try Genesis.load(path: $0, flag: "--genesis") }
        var runtime = try RegistryRuntime.assemble(database: database, tls: start.tls, host: start.host, port: start.port,
                                                   pollInterval: .milliseconds(watchPollMillis), wire: start.wire, genesis: chain,
                                                   logger: start.logger)
        if chain == nil {
            start.logger.notice("no --genesis: the registry does not learn the certificates revoked on chain and serves them until the CA is rotated")
        }
        try runtime.node.configureOps(options: node)
        if let agent = try runtime.node.registryAgent(options: node, tls: start.tls, logger: start.logger) { runtime.alongside.append(agent) }
        try await runtime.run()
    }
}

extension RegistryCommand {
    /// Every key of the registry's YAML config (docs/CONFIG.md, "Registry").
    package static let configSchema = ConfigSchema(service: "citychain-registry", settings: ConfigSchema.nodeSettings + [
        ConfigSetting("postgres", .string, flag: "--postgres", required: true, secret: true,
                      help: "PostgreSQL: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE&sslrootcert=CA.pem] (schema 'registry' is created); TLS 1.3 with the server's certificate checked against the CA unless it says otherwise.",
                      fix: "write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=verify-full&sslrootcert=CA.pem]", check: ConfigSchema.postgresURL),
        ConfigSetting("watchPollMillis", .int(50...5000), flag: "--watch-poll-millis", default: "250",
                      help: "Milliseconds between a watch's checks of the directory.",
                      fix: "write a whole number from 50 to 5000, e.g. watchPollMillis: 250"),
        ConfigSetting("genesis", .file(.readable), flag: "--genesis", default: "none",
                      help: "The chain's genesis file: with it the registry refuses certificates revoked on chain, learnt from the indexers in its directory.",
                      fix: "write the path of the chain's genesis.json"),
    ])
}
