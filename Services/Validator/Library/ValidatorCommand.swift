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
/// transaction submission and status. Settings come from `--config FILE` (YAML, docs/CONFIG.md; or
/// the older JSON), the environment (`CITYCHAIN_*`) and flags, flags winning. Without
/// `--validator-key` it runs as an observer: it follows and verifies the chain and never votes.
package struct ValidatorCommand: ConfiguredCommand {
    package static let configuration = CommandConfiguration(
        commandName: "citychain-validator",
        abstract: "CityChain validator service.")

    @Option(help: "Config file: YAML (docs/CONFIG.md) or the older JSON; the environment (CITYCHAIN_*) and flags override its keys.")
    var config: String?
    @Option(help: "HOST:PORT to serve the wire protocol on (config key: listen).") var listen: String?
    @Option(help: "HOST:PORT peers dial to reach this validator (config key: advertise; default: listen).") var advertise: String?
    @Option(help: "PEM certificate with the validator role (config key: tls.cert).") var cert: String?
    @Option(help: "PEM private key of the certificate (config key: tls.key).") var key: String?
    @Option(help: "PEM certificate of the city CA (config key: tls.ca).") var ca: String?
    @Option(help: "The chain's genesis file (config key: genesis).") var genesis: String?
    @Option(help: "Directory for the block log and sign record (config key: dataDir).") var dataDir: String?
    @Option(help: "Consensus signing key file from 'citychain keys new' (config key: validatorKey); without it: observer.")
    var validatorKey: String?
    @Option(name: .customLong("peer"), help: "A validator to gossip with, HOST:PORT; repeat for each (config key: peers).")
    var peers: [String] = []
    @Option(help: "Milliseconds between blocks when transactions are pending (config key: block.intervalMillis).")
    var blockIntervalMs: UInt64?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (config key: log.level).") var logLevel: String?
    @Option(name: .customLong("registry"), help: "HOST:PORT[,HOST:PORT...] of registries to register this validator with (omit: do not register).")
    var registry: String?
    @Option(help: "Seconds the registry keeps this validator without a heartbeat (1-300; heartbeats every third of it).")
    var registryLeaseSeconds: Double = 15
    @Option(help: "HOST:PORT of the ops HTTP server: /healthz, /readyz, /metrics (config key: ops.listen; omit: none; docs/METRICS.md).")
    var opsListen: String?
    @Option(help: "Log format on stderr: text or json (config key: log.format).") var logFormat: String?

    package init() {}

    package func run() async throws {
        let file = try ValidatorConfig.load(config, environment: ProcessInfo.processInfo.environment)
        let format: LogFormat
        do { format = try LogFormat.parse(logFormat ?? file.logFormat ?? "text", flag: logFormat == nil ? "log.format" : "--log-format") } catch {
            throw ValidationError(error.message)
        }
        OpsBootstrap.bootstrap(logFormat: format, service: "validator", version: CityChainVersion.current)
        var logger = Logger(label: "citychain.validator")
        let level = logLevel ?? file.logLevel ?? "info"
        guard let parsed = Logger.Level(rawValue: level) else {
            throw ValidationError("log.level '\(level)' must be one of trace, debug, info, notice, warning, error, critical")
        }
        logger.logLevel = parsed
        let runtime = try ValidatorRuntime.make(options: self, file: file, logger: logger)
        logger[metadataKey: "node.name"] = "\(runtime.node.identity.name)"
        runtime.node.ops.configure(listen: try NodeOptions.opsAddress(opsListen ?? file.opsListen, flag: opsListen == nil ? "ops.listen" : "--ops-listen"),
                                   identityFiles: TLSIdentityFiles(certificatePath: try required(cert, file.cert, "the certificate", key: "cert"),
                                                                   privateKeyPath: try required(key, file.key, "the private key", key: "key"),
                                                                   caCertificatePath: try required(ca, file.ca, "the CA certificate", key: "ca")))
        let agent = try registryAgent(runtime.node, file: file, logger: logger)
        try await runtime.node.run(alongside: [runtime.engine] + (agent.map { [$0] } ?? []))
    }

    /// The value of a required setting, or an error naming its flag and config key.
    func required(_ flag: String?, _ fileValue: String?, _ name: String, key: String) throws -> String {
        guard let v = flag ?? fileValue, !v.isEmpty else {
            let yaml = ["cert": "tls.cert", "key": "tls.key", "ca": "tls.ca"][key] ?? key
            throw ValidationError("missing \(name): pass --\(key.replacingOccurrences(of: "dataDir", with: "data-dir")) or set '\(yaml)' in the config file"
                                  + (yaml == key ? "" : " ('\(key)' in the older JSON config)"))
        }
        return v
    }
}

extension ValidatorCommand {
    /// Every key of the validator's YAML config (docs/CONFIG.md, "Validator"); the keys with no
    /// flag are read by `ValidatorConfig.load`.
    package static let configSchema: ConfigSchema = {
        func ms(_ key: String, _ def: String, _ help: String) -> ConfigSetting {
            ConfigSetting(key, .int(0...86_400_000), flag: nil, default: def, help: help,
                          fix: "write milliseconds as a whole number, e.g. \(key): \(def)")
        }
        func positive(_ key: String, _ def: String, _ help: String) -> ConfigSetting {
            ConfigSetting(key, .int(1...Int(Int32.max)), flag: nil, default: def, help: help,
                          fix: "write a whole number of at least 1, e.g. \(key): \(def)")
        }
        return ConfigSchema(service: "citychain-validator", settings: ConfigSchema.nodeSettings + [
            ConfigSetting("genesis", .file(.readable), flag: "--genesis", required: true, help: "The chain's genesis file (JSON).",
                          fix: "point it at the genesis file every validator of the chain shares (citychain genesis writes it)"),
            ConfigSetting("dataDir", .directory, flag: "--data-dir", required: true,
                          help: "Directory for the block log, snapshots and sign record (created when missing).",
                          fix: "point it at a directory this user can write, e.g. dataDir: /var/lib/citychain/validator"),
            ConfigSetting("validatorKey", .file(.readable), flag: "--validator-key", default: "none: observer (follows, never votes)",
                          help: "Consensus signing key file from 'citychain keys new'.",
                          fix: "point it at the key file from 'citychain keys new', or remove the key to run an observer"),
            ConfigSetting("peers", .hostPort(allowZero: false), list: .repeated, flag: "--peer", default: "none",
                          help: "Validators to gossip with.",
                          fix: "write a list of HOST:PORT, e.g. peers: [10.0.0.11:7101, 10.0.0.12:7101]"),
            ConfigSetting("block.intervalMillis", .int(0...86_400_000), flag: "--block-interval-ms", default: "0",
                          help: "Milliseconds between blocks when transactions are pending.",
                          fix: "write milliseconds as a whole number, e.g. block.intervalMillis: 500"),
            positive("block.maxTransactions", "5000", "Most transactions in a block (at most 10000)."),
            positive("block.maxBytes", "3145728", "Most bytes in a block (at least 65536, one transaction's limit)."),
            ms("block.heartbeatMillis", "10000", "Milliseconds between empty blocks when idle (at least block.intervalMillis)."),
            ms("block.maxClockDriftMillis", "2000", "How far ahead of this validator's clock a proposal's time may be."),
            positive("mempool.maxTransactions", "50000", "Most transactions the mempool holds."),
            positive("mempool.maxBytes", "268435456", "Most bytes the mempool holds."),
            positive("mempool.maxPerSigner", "5000", "Most transactions held for one signing agency."),
            ms("consensus.proposeBaseMillis", "3000", "Propose timeout of round 0 (every validator of a chain should use the same timeouts)."),
            ms("consensus.proposeDeltaMillis", "500", "Added to the propose timeout per round."),
            ms("consensus.prevoteBaseMillis", "1000", "Prevote timeout of round 0."),
            ms("consensus.prevoteDeltaMillis", "500", "Added to the prevote timeout per round."),
            ms("consensus.precommitBaseMillis", "1000", "Precommit timeout of round 0."),
            ms("consensus.precommitDeltaMillis", "500", "Added to the precommit timeout per round."),
            ms("consensus.rebroadcastMillis", "2000", "Milliseconds between rebroadcasts of this validator's latest messages."),
        ], acceptsJSON: true)
    }()
}
