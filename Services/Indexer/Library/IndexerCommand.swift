import ArgumentParser
import CityLedger
import CityNode
import CityPKI
import CityWire
import Foundation
import Logging
@preconcurrency import Crypto

/// `citychain-indexer`: follows the committed chain into PostgreSQL and answers agency queries with
/// proofs (docs/OPERATIONS.md, "Running an indexer"; docs/PROTOCOL.md, Part 7).
package struct IndexerCommand: ConfiguredCommand {
    package static let configuration = CommandConfiguration(
        commandName: "citychain-indexer",
        abstract: "CityChain indexer: a verified, exactly-once PostgreSQL index of the chain; queries with proofs.")

    @OptionGroup package var node: NodeOptions

    @Option(help: "YAML config file (docs/CONFIG.md); the environment (CITYCHAIN_*) and flags override its keys.")
    var config: String?

    @Option(help: "The chain's genesis file (JSON).") var genesis: String
    @Option(help: "PostgreSQL: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE&sslrootcert=CA.pem]; TLS 1.3 with the server's certificate checked against --ca (sslmode=verify-full) unless it says otherwise.") var postgres: String
    @Option(name: .customLong("postgres-read"),
            help: "A hot-standby replica of --postgres that queries may read (repeat); an answer reads a replica only once it has replayed the answer's height.")
    var postgresRead: [String] = []
    @Option(name: .customLong("validator"), help: "HOST:PORT of a validator to follow (repeat for failover).") var validators: [String] = []
    @Option(help: "The indexer's operator agency (its anchors prove the audit trail).") var auditAgency: String
    @Option(help: "That agency's signing key file, to anchor the audit trail on chain (omit: do not anchor).") var auditKey: String?
    @Option(help: "Key id of the audit key on chain.") var auditKeyID: UInt32 = 1
    @Option(help: "Seconds between audit anchors.") var anchorEverySeconds: Double = 60
    @Option(help: "Most blocks written in one PostgreSQL transaction while catching up.") var maxBlocksPerWrite: Int = 500
    @Option(help: "Most live feeds (subscriptions) this indexer serves at once.") var maxFeeds: Int = 2000
    @Option(help: "Most live feeds one agency may hold on this indexer.") var maxFeedsPerAgency: Int = 16
    @Option(help: "Events buffered for one slow subscriber before its feed ends with tooSlow (it resumes from its cursor).")
    var feedMaxBufferedEvents: Int = 1024
    @Option(help: "Blocks behind the chain's head the indexer may be and still be ready (/readyz).") var readyMaxLagBlocks: UInt64 = 2
    @Option(help: "Transactions behind the head (estimated) from which catching up drops the transactions table's indexes and builds them at the head (0: never).")
    var bulkLoadTransactions: Int = 200_000
    @OptionGroup var sync: StateSyncOptions

    package init() {}

    package func run() async throws {
        let start = try node.start(role: .indexer)
        let runtime = try IndexerRuntime.assemble(settings: try makeSettings(), tls: start.tls, host: start.host, port: start.port,
                                                  wire: start.wire, logger: start.logger)
        try runtime.node.configureOps(options: node)
        let agent = try runtime.node.registryAgent(options: node, tls: start.tls, logger: start.logger)
        try await runtime.run(alongside: agent.map { [$0] } ?? [])
    }

    func makeSettings() throws -> IndexerSettings {
        let g = try Genesis.load(path: genesis)
        let hosts = try validators.map { v in
            guard let hp = HostPort(v) else { throw ValidationError("--validator '\(v)' must be HOST:PORT, e.g. 127.0.0.1:7101") }
            return hp
        }
        guard !hosts.isEmpty else { throw ValidationError("--validator: name at least one validator to follow") }
        let agency: AgencyID
        do { agency = try AgencyID(auditAgency) } catch { throw ValidationError("--audit-agency '\(auditAgency)': \(error)") }
        guard g.agencies.contains(where: { $0.id == agency }) else {
            throw ValidationError("--audit-agency '\(auditAgency)' is not an agency of this chain's genesis")
        }
        let key = try auditKey.map { path in
            let k = try KeyFile.load(path, expecting: .signing)
            return (KeyID(auditKeyID), try Curve25519.Signing.PrivateKey(rawRepresentation: k.privateKeyBytes))
        }
        guard anchorEverySeconds >= 0.1 else { throw ValidationError("--anchor-every-seconds must be at least 0.1") }
        guard (1...5000).contains(maxBlocksPerWrite) else { throw ValidationError("--max-blocks-per-write must be 1…5000") }
        let pg: PostgresSettings
        do { pg = try PostgresURL(postgres).withDefaultRootCertificate(node.ca) } catch { throw ValidationError("--postgres URL \(error.message)") }
        guard (1...100_000).contains(maxFeeds) else { throw ValidationError("--max-feeds \(maxFeeds) must be 1…100,000") }
        guard (1...maxFeeds).contains(maxFeedsPerAgency) else { throw ValidationError("--max-feeds-per-agency \(maxFeedsPerAgency) must be 1…--max-feeds (\(maxFeeds))") }
        guard (16...1_000_000).contains(feedMaxBufferedEvents) else { throw ValidationError("--feed-max-buffered-events \(feedMaxBufferedEvents) must be 16…1,000,000") }
        var settings = IndexerSettings(genesis: g, postgres: pg, validators: hosts, auditAgency: agency, auditKey: key,
                                       anchorPeriod: .milliseconds(Int64(anchorEverySeconds * 1000)), maxBlocksPerWrite: maxBlocksPerWrite)
        for url in postgresRead {
            do { settings.postgresRead.append(try PostgresURL(url).withDefaultRootCertificate(node.ca)) } catch { throw ValidationError("--postgres-read URL \(error.message)") }
        }
        settings.feedLimits.maxFeeds = maxFeeds
        settings.feedLimits.maxFeedsPerAgency = maxFeedsPerAgency
        settings.feedLimits.maxBufferedEvents = feedMaxBufferedEvents
        settings.readyMaxLagBlocks = readyMaxLagBlocks
        guard bulkLoadTransactions >= 0 else { throw ValidationError("--bulk-load-transactions \(bulkLoadTransactions) must be 0 (never) or more") }
        settings.bulkLoadTransactions = bulkLoadTransactions
        settings.stateSync = try sync.trust()
        return settings
    }
}

extension IndexerCommand {
    /// Every key of the indexer's YAML config (docs/CONFIG.md, "Indexer").
    package static let configSchema = ConfigSchema(service: "citychain-indexer", settings: ConfigSchema.nodeSettings + [
        ConfigSetting("genesis", .file(.readable), flag: "--genesis", required: true, help: "The chain's genesis file (JSON).",
                      fix: "point it at the chain's genesis file (the validators' genesis)"),
        ConfigSetting("postgres", .string, flag: "--postgres", required: true, secret: true,
                      help: "PostgreSQL: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE&sslrootcert=CA.pem]; TLS 1.3 with the server's certificate checked against the CA (sslmode=verify-full) unless it says otherwise.",
                      fix: "write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=verify-full&sslrootcert=CA.pem]", check: ConfigSchema.postgresURL),
        ConfigSetting("postgresRead", .string, list: .repeated, flag: "--postgres-read", secret: true, default: "none: queries read the primary",
                      help: "Hot-standby replicas of postgres that queries may read (streaming replication); an answer reads a replica only once it has replayed the answer's height.",
                      fix: "write a list of postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE, one per replica", check: ConfigSchema.postgresURL),
        ConfigSetting("validators", .hostPort(allowZero: false), list: .repeated, flag: "--validator", required: true,
                      help: "Validators to follow (several for failover).",
                      fix: "write a list of HOST:PORT, e.g. validators: [10.0.0.11:7101, 10.0.0.12:7101]"),
        ConfigSetting("audit.agency", .string, flag: "--audit-agency", required: true,
                      help: "The indexer's operator agency (its anchors prove the audit trail).",
                      fix: "write the id of an agency in the genesis, e.g. audit.agency: city-it"),
        ConfigSetting("audit.key", .file(.readable), flag: "--audit-key", default: "none: do not anchor",
                      help: "That agency's signing key file, to anchor the audit trail on chain.",
                      fix: "point it at the agency's key file from 'citychain keys new', or remove the key"),
        ConfigSetting("audit.keyID", .int(0...Int(UInt32.max)), flag: "--audit-key-id", default: "1",
                      help: "Key id of the audit key on chain.", fix: "write the key's id as a whole number, e.g. audit.keyID: 1"),
        ConfigSetting("audit.anchorEverySeconds", .double(0.1...86_400), flag: "--anchor-every-seconds", default: "60",
                      help: "Seconds between audit anchors.", fix: "write seconds from 0.1, e.g. audit.anchorEverySeconds: 60"),
        ConfigSetting("maxBlocksPerWrite", .int(1...5000), flag: "--max-blocks-per-write", default: "500",
                      help: "Most blocks written in one PostgreSQL transaction while catching up.",
                      fix: "write a whole number from 1 to 5000, e.g. maxBlocksPerWrite: 500"),
        ConfigSetting("bulkLoadTransactions", .int(0...Int(Int32.max)), flag: "--bulk-load-transactions", default: "200000",
                      help: "Transactions behind the head from which catching up drops the transactions table's indexes and builds them at the head (0: never).",
                      fix: "write a whole number, 0 to never drop the indexes, e.g. bulkLoadTransactions: 200000"),
        ConfigSetting("feeds.max", .int(1...100_000), flag: "--max-feeds", default: "2000",
                      help: "Most live feeds this indexer serves at once.", fix: "write a whole number from 1 to 100000, e.g. feeds.max: 2000"),
        ConfigSetting("feeds.maxPerAgency", .int(1...100_000), flag: "--max-feeds-per-agency", default: "16",
                      help: "Most live feeds one agency may hold on this indexer.", fix: "write a whole number, e.g. feeds.maxPerAgency: 16"),
        ConfigSetting("feeds.maxBufferedEvents", .int(16...1_000_000), flag: "--feed-max-buffered-events", default: "1024",
                      help: "Events buffered for one slow subscriber before its feed ends with tooSlow.",
                      fix: "write a whole number from 16 to 1000000, e.g. feeds.maxBufferedEvents: 1024"),
        ConfigSetting("ready.maxLagBlocks", .int(0...1_000_000), flag: "--ready-max-lag-blocks", default: "2",
                      help: "Blocks behind the chain's head the indexer may be and still be ready (/readyz).",
                      fix: "write a whole number of blocks, e.g. ready.maxLagBlocks: 2"),
    ])
}
