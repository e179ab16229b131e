import CityConsensus
import CityLedger
import Foundation

/// The validator's config file (JSON; docs/OPERATIONS.md, "Validator config"). Every field is
/// optional here so that flags can supply or override it; `ValidatorCommand` checks that the
/// required ones are set and names the key when one is missing or wrong. Relative paths are
/// relative to the file's directory.
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
        package var maxTransactions: Int?
        package var maxBytes: Int?
        package var intervalMillis: UInt64?
        package var heartbeatMillis: UInt64?
        package var maxClockDriftMillis: UInt64?
    }

    /// `mempool` section: its bounds.
    package struct MempoolSection: Decodable, Sendable {
        package var maxTransactions: Int?
        package var maxBytes: Int?
        package var maxPerSigner: Int?
    }

    /// `consensus` section: timeouts (every validator of a chain should use the same).
    package struct ConsensusSection: Decodable, Sendable {
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

    /// Reads `path`; a decoding error names the key and what was expected.
    package static func load(_ path: String) throws -> ValidatorConfig {
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

/// A config problem: names the key and says what to do.
package struct ConfigError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
