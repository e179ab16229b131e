import ArgumentParser
import CityChainAPI
import CityEncoding
import CityIndexer
import CityLedger
import CityOps
import CityPKI
import CityWire
import Foundation
import Logging
import Synchronization

/// `citychain-bench feed`: feed delivery latency (commit → subscriber) of a real indexer against a
/// real PostgreSQL, in one process: the bench chain (`IndexBenchChain`) served as a validator's
/// commit stream over mutual TLS, an `IndexerRuntime`, and subscribers over mutual TLS. First
/// `--subscribers` feeds at the commit rate; then the ramp, doubling the feeds until p99 ≥ 1 s
/// (or the last step). docs/BENCHMARKS.md, "Feeds"; deploy/bench-feed runs it on a private PostgreSQL.
struct FeedBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feed",
        abstract: "Feed delivery latency commit → subscriber (p50/p99) with N subscribers, and the most subscribers with p99 under 1 s.")

    @Option(help: "PostgreSQL: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?sslrootcert=CA.pem (an empty database; sslmode=disable for clear text).") var postgres: String
    @Option(help: "Transactions indexed before the feeds open.") var catchUp = 2000
    @Option(help: "Transactions per block.") var perBlock = 100
    @Option(help: "Milliseconds between blocks (250 with 100 per block ≈ 400 tx/s, the 4-validator rate of docs/BENCHMARKS.md).")
    var intervalMs = 250.0
    @Option(help: "Subscribers of the first measurement.") var subscribers = 100
    @Option(help: "Blocks published per measurement.") var blocks = 40
    @Option(help: "Ramp steps (subscribers), comma-separated; stops at the first with p99 ≥ 1 s.") var ramp = "200,400,800,1600"
    @Option(help: "Feeds per client connection (the wire allows 64 requests in flight per connection).") var feedsPerConnection = 32
    @Option(help: "Most seconds to wait for a step's deliveries after its last block.") var timeout = 60.0
    @Option(help: "Log level of the indexer (trace … critical).") var logLevel = "error"
    @Option(help: "What each subscriber does with a change: 'full' decodes it (proof and header included); 'frame' only reads its tag and counts it (the k-th change of a feed opened at height H belongs to block H + 1 + k / per-block), so the figure is the indexer's alone, not the subscribers' decoding on the same cores.")
    var decode = "full"

    func validate() throws {
        guard (1...1_000_000).contains(catchUp) else { throw ValidationError("--catch-up must be in 1...1000000") }
        guard (1...Int(LedgerLimits.maxTransactionsPerBlock)).contains(perBlock) else { throw ValidationError("--per-block is out of range") }
        guard intervalMs >= 1, intervalMs <= 60_000 else { throw ValidationError("--interval-ms must be in 1...60000") }
        guard (1...5000).contains(subscribers) else { throw ValidationError("--subscribers must be in 1...5000") }
        guard (1...10_000).contains(blocks) else { throw ValidationError("--blocks must be in 1...10000") }
        guard rampSteps != nil else { throw ValidationError("--ramp must be comma-separated counts in 1...5000") }
        guard (1...60).contains(feedsPerConnection) else { throw ValidationError("--feeds-per-connection must be in 1...60") }
        guard ["full", "frame"].contains(decode) else { throw ValidationError("--decode must be 'full' or 'frame'") }
    }

    var rampSteps: [Int]? {
        let steps = ramp.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard steps.allSatisfy({ $0.map { (1...5000).contains($0) } == true }) else { return nil }
        return steps.compactMap { $0 }
    }

    func run() async throws {
        var logger = Logger(label: "citychain.bench.feed")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .error
        let pg: PostgresSettings
        do { pg = try PostgresSettings(postgres) } catch { throw ValidationError("--postgres URL \(error.message)") }
        let steps = [subscribers] + (rampSteps ?? [])
        let chain = try IndexBenchChain.build(catchUp: catchUp, perBlock: perBlock, liveBlocks: blocks * steps.count, livePerBlock: perBlock,
                                              subjects: 5000)
        say("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(loadAverage()); chain: \(catchUp) tx to index, then \(steps.count) steps of \(blocks) blocks of \(perBlock) every \(Int(intervalMs)) ms (\(Int(Double(perBlock) * 1000 / intervalMs)) tx/s); subscribers decode: \(decode)")
        let ca = try CertificateAuthority.create(commonName: "CityChain bench CA")
        let published = IndexBenchBlocks(chain, published: chain.catchUpHeight)
        let validator = try await IndexBenchFeed(blocks: published, genesis: chain.genesis, ca: ca, logger: logger)
        var settings = IndexerSettings(genesis: chain.genesis, postgres: pg, validators: [validator.address], auditAgency: IndexBenchChain.auditor)
        settings.feedLimits.maxFeeds = 10_000
        settings.feedLimits.maxFeedsPerAgency = 10_000
        let runtime = try IndexerRuntime.assemble(settings: settings, tls: try TLSIdentity(issued: ca.issue(role: .indexer, name: "indexer-bench")),
                                                  host: "127.0.0.1", port: 0, logger: logger)
        let indexer = Task { try await runtime.run() }
        defer { indexer.cancel() }
        let deadline = ContinuousClock.now + .seconds(600)
        while await runtime.proven.height < chain.catchUpHeight, ContinuousClock.now < deadline {
            if indexer.isCancelled { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        guard await runtime.proven.height >= chain.catchUpHeight else {
            throw BenchFailure("the indexer did not reach height \(chain.catchUpHeight); last error: \(await runtime.status.lastError)")
        }
        let port = try await runtime.node.server.listeningAddress.port!
        let reader = try TLSIdentity(issued: ca.issue(role: .agency(IndexBenchChain.reader.value), name: IndexBenchChain.reader.value))
        let client = try WireClient(tls: TLSSetup.client(reader), logger: logger)
        var results: [(Int, Double, Double, Int)] = []
        for (i, n) in steps.enumerated() {
            let r = try await step(n, client: client, port: port, published: published)
            results.append((n, r.p50, r.p99, r.missing))
            say("feeds: \(n) subscribers, \(r.count) deliveries: commit → delivery p50 \(f(r.p50)) ms, p99 \(f(r.p99)) ms, max \(f(r.max)) ms; \(r.missing) not delivered in time; load average \(loadAverage())")
            if i > 0, r.p99 >= 1000 || r.missing > 0 { break }
        }
        let held = results.filter { $0.2 < 1000 && $0.3 == 0 }.map(\.0).max() ?? 0
        say("bench-feed: decode=\(decode) subscribers=\(subscribers) p50_ms=\(f(results[0].1)) p99_ms=\(f(results[0].2)) max_subscribers_p99_under_1s=\(held) steps=\(results.map { "\($0.0):\(f($0.2))" }.joined(separator: ","))")
        await validator.stop()
    }

    struct StepResult { var p50 = 0.0, p99 = 0.0, max = 0.0, count = 0, missing = 0 }

    /// Opens `n` feeds from now, publishes `blocks` blocks on a fixed schedule, and measures each change's delivery.
    private func step(_ n: Int, client: WireClient, port: Int, published: IndexBenchBlocks) async throws -> StepResult {
        let rec = FeedBenchRecorder()
        let expected = blocks * perBlock
        let connections = (n + feedsPerConnection - 1) / feedsPerConnection
        let request = FeedRequest(datasets: [IndexBenchChain.parking], start: .now).canonicalBytes
        let frameOnly = decode == "frame"
        let perBlock = perBlock
        let subscribers = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for c in 0..<connections {
                    let here = min(feedsPerConnection, n - c * feedsPerConnection)
                    group.addTask {
                        try await client.withConnection(host: "127.0.0.1", port: port, expecting: .indexer) { conn in
                            try await withThrowingTaskGroup(of: Void.self) { feeds in
                                for _ in 0..<here {
                                    feeds.addTask {
                                        try await Self.follow(conn, request: request, expected: expected, perBlock: perBlock, frameOnly: frameOnly, into: rec)
                                    }
                                }
                                try await feeds.waitForAll()
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let openBy = ContinuousClock.now + .seconds(120)
        while rec.ready.withLock({ $0 }) < n, ContinuousClock.now < openBy { try await Task.sleep(for: .milliseconds(20)) }
        guard rec.ready.withLock({ $0 }) >= n else {
            subscribers.cancel()
            throw BenchFailure("only \(rec.ready.withLock { $0 }) of \(n) feeds opened in 120 s")
        }
        let interval = UInt64(intervalMs * 1e6)
        let start = LoadClock.now()
        for k in 0..<blocks {
            let due = start + UInt64(k) * interval
            let now = LoadClock.now()
            if due > now { try await Task.sleep(for: .nanoseconds(Int64(due - now))) }
            let h = await published.publishNext()
            rec.committedAt.withLock { $0[h] = LoadClock.now() }
        }
        let waitUntil = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while rec.latencies.withLock({ $0.count }) < expected * n, ContinuousClock.now < waitUntil { try await Task.sleep(for: .milliseconds(20)) }
        subscribers.cancel()
        _ = try? await subscribers.value
        let values = rec.latencies.withLock { $0 }
        var r = StepResult()
        r.count = values.count
        r.missing = max(0, expected * n - values.count)
        r.p50 = Percentile.nearestRank(values, 0.5)
        r.p99 = Percentile.nearestRank(values, 0.99)
        r.max = values.max() ?? 0
        return r
    }

    /// One feed: records each change's delivery latency (from its block's publication) until `expected` changes.
    private static func follow(_ conn: WireConnection, request: [UInt8], expected: Int, perBlock: Int, frameOnly: Bool,
                               into rec: FeedBenchRecorder) async throws {
        var got = 0
        var opened: UInt64?
        for try await payload in conn.stream(IndexerAPI.feed, request) {
            let now = LoadClock.now()
            if frameOnly, payload.first == 1, let h0 = opened {
                // A change: the got-th of the feed, in block h0 + 1 + got / perBlock.
                if let at = rec.committedAt.withLock({ $0[h0 + 1 + UInt64(got / perBlock)] }) {
                    rec.latencies.withLock { $0.append(Double(now - at) / 1e6) }
                }
                got += 1
                if got >= expected { return }
                continue
            }
            switch try FeedEvent(canonicalBytes: payload) {
            case .heartbeat(let c):
                // A `now` feed opens with a heartbeat: it is subscribed.
                if opened == nil { opened = c.height; rec.ready.withLock { $0 += 1 } }
            case .change(let p):
                if let at = rec.committedAt.withLock({ $0[p.height] }) {
                    rec.latencies.withLock { $0.append(Double(now - at) / 1e6) }
                }
                got += 1
                if got >= expected { return }
            case .end(let e): throw BenchFailure("a feed ended: \(e)")
            }
        }
    }

    private func say(_ line: String) {
        Swift.print(line)
        fflush(nil)
    }

    private func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)).map { $0.split(separator: " ").prefix(3).joined(separator: " ") } ?? "?"
    }

    private func f(_ x: Double) -> String { IndexBenchStats.f(x, 1) }
}

/// What a feed bench step records, shared by its subscriber tasks.
final class FeedBenchRecorder: Sendable {
    /// When each height was published (LoadClock ns).
    let committedAt = Mutex<[UInt64: UInt64]>([:])
    /// Commit → delivery, ms, one per change per subscriber.
    let latencies = Mutex<[Double]>([])
    /// Feeds subscribed (their first heartbeat arrived).
    let ready = Mutex(0)
}
