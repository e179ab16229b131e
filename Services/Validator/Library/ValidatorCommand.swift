import ArgumentParser
import CityChainAPI
import CityConsensus
import CityEncoding
import CityLedger
import CityNode
import CityOps
import CityPKI
import CityWire
import Foundation
import Logging
@preconcurrency import Crypto

/// `citychain-validator`: the validator service. It holds the authoritative chain: BFT consensus
/// with the other validators, the mempool, the block log, block sync, the commit stream, and
/// transaction submission and status. Settings come from `--config FILE` (YAML, docs/CONFIG.md),
/// the environment (`CITYCHAIN_*`) and flags, flags winning, as for every service. Without
/// `--validator-key` it runs as an observer: it follows and verifies the chain and never votes.
package struct ValidatorCommand: ConfiguredCommand {
    package static let configuration = CommandConfiguration(
        commandName: "citychain-validator",
        abstract: "CityChain validator service.")

    @OptionGroup package var node: NodeOptions

    @Option(help: "YAML config file (docs/CONFIG.md); the environment (CITYCHAIN_*) and flags override its keys.")
    package var config: String?
    @Option(help: "The chain's genesis file (config key: genesis).") package var genesis: String
    @Option(help: "Directory for the block log, snapshots and sign record (config key: dataDir).") package var dataDir: String
    @Option(help: "Consensus signing key file from 'citychain keys new' (config key: validatorKey); without it: observer.")
    package var validatorKey: String?
    @Option(name: .customLong("peer"), help: "A validator to gossip with, HOST:PORT; repeat for each (config key: peers).")
    package var peers: [String] = []
    @OptionGroup package var tuning: ValidatorTuning
    @Flag(help: "The sign record (consensus.sign) is lost: start although the block log shows this validator has signed (docs/OPERATIONS.md, \"A missing sign record\"). Never in a config file.")
    package var signRecordLost = false
    @OptionGroup package var sync: StateSyncOptions
    package init() {}

    /// `--state-sync` on an empty data directory: fills it from a peer's snapshot.
    func syncStateIfAsked(tls: TLSIdentity, logger: Logger) async throws -> LedgerState? {
        guard let trust = try sync.trust() else { return nil }
        guard StateSync.isEmpty(dataDirectory: dataDir) else {
            logger.info("--state-sync ignored: the data directory already holds a chain", metadata: ["storage.path": "\(dataDir)"])
            return nil
        }
        let addresses = try peers.map { p -> HostPort in
            guard let hp = HostPort(p) else { throw ValidationError("--peer '\(p)' is not HOST:PORT") }
            return hp
        }
        guard !addresses.isEmpty else { throw ValidationError("--state-sync needs at least one --peer to fetch a snapshot from") }
        let genesis = try Genesis.load(path: genesis)
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let client = try WireClient(tls: TLSSetup.client(tls), logger: logger)
        return try await StateSync(client: client, peers: addresses, genesis: genesis, trust: trust, logger: logger).run(into: dataDir)
    }

    package func run() async throws {
        var start = try node.start(role: .validator)
        let installed = try await syncStateIfAsked(tls: start.tls, logger: start.logger)
        let runtime = try ValidatorRuntime.make(options: self, installed: installed, logger: start.logger)
        start.logger[metadataKey: "node.name"] = "\(runtime.node.identity.name)"
        try runtime.node.configureOps(options: node)
        let agent = try runtime.node.registryAgent(options: node, tls: start.tls, nodeKey: try consensusPublicKey(), logger: start.logger)
        try await runtime.node.run(alongside: [runtime.engine] + (agent.map { [$0] } ?? []))
    }

    /// The consensus public key registered as the node key when this validator votes (empty for an observer).
    func consensusPublicKey() throws -> [UInt8] {
        guard let validatorKey else { return [] }
        let k = try KeyFile.load(validatorKey, expecting: .signing)
        return Array(try Curve25519.Signing.PrivateKey(rawRepresentation: k.privateKeyBytes).publicKey.rawRepresentation)
    }
}

extension ValidatorCommand {
    /// Every key of the validator's YAML config (docs/CONFIG.md, "Validator"), each filling in its flag.
    package static let configSchema: ConfigSchema = {
        func ms(_ key: String, _ flag: String, _ def: String, _ help: String) -> ConfigSetting {
            ConfigSetting(key, .int(0...86_400_000), flag: flag, default: def, help: help,
                          fix: "write milliseconds as a whole number, e.g. \(key): \(def)")
        }
        func positive(_ key: String, _ flag: String, _ def: String, _ help: String) -> ConfigSetting {
            ConfigSetting(key, .int(1...Int(Int32.max)), flag: flag, default: def, help: help,
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
            positive("block.maxTransactions", "--block-max-transactions", "5000", "Most transactions in a block (at most 10000)."),
            positive("block.maxBytes", "--block-max-bytes", "3145728", "Most bytes in a block (at least 65536, one transaction's limit)."),
            ms("block.heartbeatMillis", "--block-heartbeat-ms", "10000", "Milliseconds between empty blocks when idle (at least block.intervalMillis)."),
            ms("block.maxClockDriftMillis", "--block-max-clock-drift-ms", "2000", "How far ahead of this validator's clock a proposal's time may be."),
            positive("mempool.maxTransactions", "--mempool-max-transactions", "50000", "Most transactions the mempool holds."),
            positive("mempool.maxBytes", "--mempool-max-bytes", "268435456", "Most bytes the mempool holds."),
            positive("mempool.maxPerSigner", "--mempool-max-per-signer", "5000", "Most transactions held for one signing agency."),
            ms("consensus.proposeBaseMillis", "--consensus-propose-base-ms", "3000", "Propose timeout of round 0 (every validator of a chain should use the same timeouts)."),
            ms("consensus.proposeDeltaMillis", "--consensus-propose-delta-ms", "500", "Added to the propose timeout per round."),
            ms("consensus.prevoteBaseMillis", "--consensus-prevote-base-ms", "1000", "Prevote timeout of round 0."),
            ms("consensus.prevoteDeltaMillis", "--consensus-prevote-delta-ms", "500", "Added to the prevote timeout per round."),
            ms("consensus.precommitBaseMillis", "--consensus-precommit-base-ms", "1000", "Precommit timeout of round 0."),
            ms("consensus.precommitDeltaMillis", "--consensus-precommit-delta-ms", "500", "Added to the precommit timeout per round."),
            ms("consensus.rebroadcastMillis", "--consensus-rebroadcast-ms", "2000", "Milliseconds between rebroadcasts of this validator's latest messages."),
            ConfigSetting("ready.maxLagBlocks", .int(0...1_000_000), flag: "--ready-max-lag-blocks", default: "2",
                          help: "Blocks behind the best height its peers report a validator may be and still be ready (/readyz).",
                          fix: "write a whole number of blocks, e.g. ready.maxLagBlocks: 2"),
            ConfigSetting("snapshot.everyBlocks", .int(0...100_000_000), flag: "--snapshot-every-blocks", default: "1000",
                          help: "Blocks between snapshots of the ledger state (restarts and state sync start from them); 0: none.",
                          fix: "write a whole number of blocks, e.g. snapshot.everyBlocks: 1000"),
            ConfigSetting("block.retainBlocks", .int(0...Int(Int32.max)), flag: "--retain-blocks", default: "0",
                          help: "Blocks kept below the head; older ones are pruned after each snapshot. 0: keep every block (an archive node).",
                          fix: "write a whole number of blocks, e.g. block.retainBlocks: 100000, or 0 to keep all"),
        ])
    }()
}
