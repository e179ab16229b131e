import CityConsensus
import CityLedger
import CityNode
import Foundation

/// The validator's config file: YAML (docs/CONFIG.md, keys in `ValidatorCommand.configSchema`) or
/// the older JSON (docs/OPERATIONS.md, "Validator config"), with `CITYCHAIN_*` environment
/// variables over either. Every field is optional here so that flags can supply or override it;
/// `ValidatorCommand` checks that the required ones are set and names the key when one is missing
/// or wrong. Relative paths are relative to the file's directory.
package struct ValidatorConfig: Decodable, Sendable {
    package var listen: String?
    package var advertise: String?
    package var cert: String?
    package var key: String?
    package var ca: String?
    package var genesis: String?
    package var dataDir: String?
    package var validatorKey: String?
    package var peers: [String]?
    package var logLevel: String?
    /// Ops HTTP server address (docs/METRICS.md); nil: none.
    package var opsListen: String?
    /// `text` or `json`.
    package var logFormat: String?
    package var block: Block?
    package var mempool: MempoolSection?
    package var consensus: ConsensusSection?

    /// `block` section: sizes and timing of blocks.
    package struct Block: Decodable, Sendable {
        init() {}
        package var maxTransactions: Int?
        package var maxBytes: Int?
        package var intervalMillis: UInt64?
        package var heartbeatMillis: UInt64?
        package var maxClockDriftMillis: UInt64?
    }

    /// `mempool` section: its bounds.
    package struct MempoolSection: Decodable, Sendable {
        init() {}
        package var maxTransactions: Int?
        package var maxBytes: Int?
        package var maxPerSigner: Int?
    }

    /// `consensus` section: timeouts (every validator of a chain should use the same).
    package struct ConsensusSection: Decodable, Sendable {
        init() {}
        package var proposeBaseMillis: UInt64?
        package var proposeDeltaMillis: UInt64?
        package var prevoteBaseMillis: UInt64?
        package var prevoteDeltaMillis: UInt64?
        package var precommitBaseMillis: UInt64?
        package var precommitDeltaMillis: UInt64?
        package var rebroadcastMillis: UInt64?
    }

    /// An empty config (flags only).
    package init() {}

    /// Reads `path` (YAML or, by its `.json` extension, JSON) without the environment.
    package static func load(_ path: String) throws -> ValidatorConfig {
        try load(path, environment: [:])
    }

    /// Reads the config file at `path` if any (YAML, or JSON by its `.json` extension), then the
    /// `CITYCHAIN_*` variables of `environment` over it. Types and paths are checked with the
    /// schema's messages (the process's start checked them already, `ConfiguredCommand`).
    package static func load(_ path: String?, environment: [String: String]) throws -> ValidatorConfig {
        var config = ValidatorConfig()
        var file: ServiceConfig.File?
        if let path {
            if path.lowercased().hasSuffix(".json") { config = try loadJSON(path) } else { file = try ServiceConfig.read(path, named: "--config") }
        }
        let resolved = try ServiceConfig.resolve(ValidatorCommand.configSchema, arguments: [], environment: environment, file: file,
                                                 mode: .valuesOnly)
        config.apply(resolved)
        return config
    }

    /// Takes every value the YAML file or the environment set.
    mutating func apply(_ r: ResolvedConfig) {
        func u64(_ key: String) -> UInt64? { r.int(key).map { UInt64($0) } }
        listen = r.string("listen") ?? listen
        advertise = r.string("advertise") ?? advertise
        cert = r.string("tls.cert") ?? cert
        key = r.string("tls.key") ?? key
        ca = r.string("tls.ca") ?? ca
        genesis = r.string("genesis") ?? genesis
        dataDir = r.string("dataDir") ?? dataDir
        validatorKey = r.string("validatorKey") ?? validatorKey
        peers = r.list("peers") ?? peers
        logLevel = r.string("log.level") ?? logLevel
        var b = block ?? Block()
        b.maxTransactions = r.int("block.maxTransactions") ?? b.maxTransactions
        b.maxBytes = r.int("block.maxBytes") ?? b.maxBytes
        b.intervalMillis = u64("block.intervalMillis") ?? b.intervalMillis
        b.heartbeatMillis = u64("block.heartbeatMillis") ?? b.heartbeatMillis
        b.maxClockDriftMillis = u64("block.maxClockDriftMillis") ?? b.maxClockDriftMillis
        block = b
        var m = mempool ?? MempoolSection()
        m.maxTransactions = r.int("mempool.maxTransactions") ?? m.maxTransactions
        m.maxBytes = r.int("mempool.maxBytes") ?? m.maxBytes
        m.maxPerSigner = r.int("mempool.maxPerSigner") ?? m.maxPerSigner
        mempool = m
        var c = consensus ?? ConsensusSection()
        c.proposeBaseMillis = u64("consensus.proposeBaseMillis") ?? c.proposeBaseMillis
        c.proposeDeltaMillis = u64("consensus.proposeDeltaMillis") ?? c.proposeDeltaMillis
        c.prevoteBaseMillis = u64("consensus.prevoteBaseMillis") ?? c.prevoteBaseMillis
        c.prevoteDeltaMillis = u64("consensus.prevoteDeltaMillis") ?? c.prevoteDeltaMillis
        c.precommitBaseMillis = u64("consensus.precommitBaseMillis") ?? c.precommitBaseMillis
        c.precommitDeltaMillis = u64("consensus.precommitDeltaMillis") ?? c.precommitDeltaMillis
        c.rebroadcastMillis = u64("consensus.rebroadcastMillis") ?? c.rebroadcastMillis
        consensus = c
    }

    /// Reads the older JSON file at `path`; a decoding error names the key and what was expected.
    static func loadJSON(_ path: String) throws -> ValidatorConfig {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ConfigError("cannot read the config file \(path): \(error.localizedDescription)")
        }
        var config: ValidatorConfig
        do { config = try JSONDecoder().decode(ValidatorConfig.self, from: data) } catch let DecodingError.typeMismatch(type, ctx) {
            throw ConfigError("\(path): key '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))' must be a \(type) (\(ctx.debugDescription))")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw ConfigError("\(path): not valid JSON at '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))': \(ctx.debugDescription)")
        } catch {
            throw ConfigError("\(path): \(error)")
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        func resolve(_ p: String?) -> String? { p.map { $0.hasPrefix("/") ? $0 : base + "/" + $0 } }
        config.cert = resolve(config.cert)
        config.key = resolve(config.key)
        config.ca = resolve(config.ca)
        config.genesis = resolve(config.genesis)
        config.dataDir = resolve(config.dataDir)
        config.validatorKey = resolve(config.validatorKey)
        return config
    }

    /// The block policy, with what the file sets over the defaults; a bad combination names the key.
    package func blockPolicy() throws -> BlockPolicy {
        let d = BlockPolicy(maxBlockBytes: 3 * 1024 * 1024, blockIntervalMillis: 0, heartbeatIntervalMillis: 10_000)
        let maxTx = block?.maxTransactions ?? d.maxTransactionsPerBlock
        guard (1...LedgerLimits.maxTransactionsPerBlock).contains(maxTx) else {
            throw ConfigError("block.maxTransactions \(maxTx) must be in 1...\(LedgerLimits.maxTransactionsPerBlock)")
        }
        let maxBytes = block?.maxBytes ?? d.maxBlockBytes
        guard maxBytes >= LedgerLimits.maxTransactionBytes else {
            throw ConfigError("block.maxBytes \(maxBytes) must be at least one transaction's limit, \(LedgerLimits.maxTransactionBytes)")
        }
        let interval = block?.intervalMillis ?? d.blockIntervalMillis
        let heartbeat = block?.heartbeatMillis ?? d.heartbeatIntervalMillis
        guard heartbeat >= interval else {
            throw ConfigError("block.heartbeatMillis \(heartbeat) must be at least block.intervalMillis \(interval)")
        }
        return BlockPolicy(maxTransactionsPerBlock: maxTx, maxBlockBytes: maxBytes, blockIntervalMillis: interval,
                           heartbeatIntervalMillis: heartbeat, maxClockDriftMillis: block?.maxClockDriftMillis ?? d.maxClockDriftMillis)
    }

    /// The mempool bounds over the defaults.
    package func mempoolLimits() throws -> MempoolLimits {
        var limits = MempoolLimits()
        if let n = mempool?.maxTransactions { limits.maxTransactions = n }
        if let n = mempool?.maxBytes { limits.maxBytes = n }
        if let n = mempool?.maxPerSigner { limits.maxPerSigner = n }
        guard limits.maxTransactions > 0, limits.maxBytes > 0, limits.maxPerSigner > 0 else {
            throw ConfigError("mempool.maxTransactions, mempool.maxBytes and mempool.maxPerSigner must be positive")
        }
        return limits
    }

    /// The consensus timeouts over the defaults.
    package func consensusConfig(chainID: String) throws -> ConsensusConfig {
        var c = ConsensusConfig(chainID: chainID)
        let s = consensus
        if let v = s?.proposeBaseMillis { c.proposeBaseMillis = v }
        if let v = s?.proposeDeltaMillis { c.proposeDeltaMillis = v }
        if let v = s?.prevoteBaseMillis { c.prevoteBaseMillis = v }
        if let v = s?.prevoteDeltaMillis { c.prevoteDeltaMillis = v }
        if let v = s?.precommitBaseMillis { c.precommitBaseMillis = v }
        if let v = s?.precommitDeltaMillis { c.precommitDeltaMillis = v }
        if let v = s?.rebroadcastMillis { c.rebroadcastMillis = v }
        guard c.proposeBaseMillis > 0, c.prevoteBaseMillis > 0, c.precommitBaseMillis > 0, c.rebroadcastMillis > 0 else {
            throw ConfigError("consensus.*BaseMillis and consensus.rebroadcastMillis must be positive")
        }
        return c
    }
}
