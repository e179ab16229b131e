import ArgumentParser
import CityConsensus
import CityLedger
import CityNode
import CityOps
import CityPKI
import CityWire
import Foundation
import Logging

/// `citychain-validator`: the validator service. It holds the authoritative chain: BFT consensus
/// with the other validators, the mempool, the block log, block sync, the commit stream, and
/// transaction submission and status. Settings come from `--config FILE` (JSON,
/// docs/OPERATIONS.md) and flags, flags winning. Without `--validator-key` it runs as an
/// observer: it follows and verifies the chain and never votes.
package struct ValidatorCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "citychain-validator",
        abstract: "CityChain validator service.")

    @Option(help: "JSON config file (docs/OPERATIONS.md, \"Validator config\"); flags override its keys.")
    var config: String?
    @Option(help: "HOST:PORT to serve the wire protocol on (config key: listen).") var listen: String?
    @Option(help: "HOST:PORT peers dial to reach this validator (config key: advertise; default: listen).") var advertise: String?
    @Option(help: "PEM certificate with the validator role (config key: cert).") var cert: String?
    @Option(help: "PEM private key of the certificate (config key: key).") var key: String?
    @Option(help: "PEM certificate of the city CA (config key: ca).") var ca: String?
    @Option(help: "The chain's genesis file (config key: genesis).") var genesis: String?
    @Option(help: "Directory for the block log and sign record (config key: dataDir).") var dataDir: String?
    @Option(help: "Consensus signing key file from 'citychain keys new' (config key: validatorKey); without it: observer.")
    var validatorKey: String?
    @Option(name: .customLong("peer"), help: "A validator to gossip with, HOST:PORT; repeat for each (config key: peers).")
    var peers: [String] = []
    @Option(help: "Milliseconds between blocks when transactions are pending (config key: block.intervalMillis).")
    var blockIntervalMs: UInt64?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (config key: logLevel).") var logLevel: String?
    @Option(name: .customLong("registry"), help: "HOST:PORT[,HOST:PORT...] of registries to register this validator with (omit: do not register).")
    var registry: String?
    @Option(help: "Seconds the registry keeps this validator without a heartbeat (1-300; heartbeats every third of it).")
    var registryLeaseSeconds: Double = 15
    @Option(help: "HOST:PORT of the ops HTTP server: /healthz, /readyz, /metrics (config key: opsListen; omit: none; docs/METRICS.md).")
    var opsListen: String?
    @Option(help: "Log format on stderr: text or json (config key: logFormat).") var logFormat: String?

    package init() {}

    package func run() async throws {
        let file = try config.map(ValidatorConfig.load) ?? ValidatorConfig()
        let format: LogFormat
        do { format = try LogFormat.parse(logFormat ?? file.logFormat ?? "text", flag: logFormat == nil ? "logFormat" : "--log-format") } catch {
            throw ValidationError(error.message)
        }
        OpsBootstrap.bootstrap(logFormat: format, service: "validator", version: CityChainVersion.current)
        var logger = Logger(label: "citychain.validator")
        let level = logLevel ?? file.logLevel ?? "info"
        guard let parsed = Logger.Level(rawValue: level) else {
            throw ValidationError("logLevel '\(level)' must be one of trace, debug, info, notice, warning, error, critical")
        }
        logger.logLevel = parsed
        let runtime = try ValidatorRuntime.make(options: self, file: file, logger: logger)
        logger[metadataKey: "node.name"] = "\(runtime.node.identity.name)"
        runtime.node.ops.configure(listen: try NodeOptions.opsAddress(opsListen ?? file.opsListen, flag: opsListen == nil ? "opsListen" : "--ops-listen"),
                                   identityFiles: TLSIdentityFiles(certificatePath: try required(cert, file.cert, "the certificate", key: "cert"),
                                                                   privateKeyPath: try required(key, file.key, "the private key", key: "key"),
                                                                   caCertificatePath: try required(ca, file.ca, "the CA certificate", key: "ca")))
        let agent = try registryAgent(runtime.node, file: file, logger: logger)
        try await runtime.node.run(alongside: [runtime.engine] + (agent.map { [$0] } ?? []))
    }

    /// The value of a required setting, or an error naming its flag and config key.
    func required(_ flag: String?, _ fileValue: String?, _ name: String, key: String) throws -> String {
        guard let v = flag ?? fileValue, !v.isEmpty else {
            throw ValidationError("missing \(name): pass --\(key.replacingOccurrences(of: "dataDir", with: "data-dir")) or set '\(key)' in the config file")
        }
        return v
    }
}
