import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import Logging
import Synchronization
@testable import CityIndexer

/// Paths of the built executables (the tests run them as real processes).
enum Binaries {
    static let root: URL = {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        return root
    }()
    static let indexer = root.appendingPathComponent(".build/debug/citychain-indexer").path
    static let cli = root.appendingPathComponent(".build/debug/citychain").path
}

/// A directory of PEM files and the genesis for processes of one test.
struct ProcessFiles {
    let dir: String
    let ca: CertificateAuthority

    init(ca: CertificateAuthority) throws {
        self.ca = ca
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("feed-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try PEMFiles.write(ca.certificatePEM, to: dir + "/ca.pem", secret: false)
        try F.genesisJSON.write(to: URL(fileURLWithPath: dir + "/genesis.json"))
    }

    /// Writes a certificate of `role` named `name`; returns (cert, key) paths.
    func identity(_ role: Role, _ name: String) throws -> (String, String) {
        let issued = try ca.issue(role: role, name: name)
        let base = dir + "/" + name
        try PEMFiles.write(issued.certificatePEM, to: base + ".pem", secret: false)
        try PEMFiles.write(issued.privateKeyPEM, to: base + ".key", secret: true)
        return (base + ".pem", base + ".key")
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }
}

/// A real `citychain-indexer` process on a fixed port (so a restart listens where it did).
final class IndexerProcess: @unchecked Sendable {
    let port: Int
    let args: [String]
    private(set) var process: Process?

    init(files: ProcessFiles, name: String, db: PostgresSettings, validator: HostPort, port: Int = freePort()) throws {
        self.port = port
        let (cert, key) = try files.identity(.indexer, name)
        args = ["--listen", "127.0.0.1:\(port)", "--cert", cert, "--key", key, "--ca", files.dir + "/ca.pem",
                "--genesis", files.dir + "/genesis.json", "--postgres", db.urlWithPassword,
                "--validator", "\(validator)", "--audit-agency", "audit-office", "--log-level", "warning"]
    }

    var address: HostPort { HostPort(host: "127.0.0.1", port: port) }

    func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Binaries.indexer)
        p.arguments = args
        let null = FileHandle(forWritingAtPath: "/dev/null")
        p.standardOutput = null
        p.standardError = null
        try p.run()
        process = p
    }

    func kill9() {
        guard let p = process else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    func stop() {
        guard let p = process else { return }
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        process = nil
    }
}

/// One agency's wire client for feeds and status.
struct FeedClient: Sendable {
    let client: WireClient

    init(ca: CertificateAuthority, agency: String) throws {
        client = try WireClient(tls: TLSSetup.client(TLSIdentity(issued: ca.issue(role: .agency(agency), name: agency))), logger: testLogger)
    }

    /// Waits until the indexer at `port` answers status with a proven height of at least `height`.
    func waitFor(port: Int, height: UInt64, seconds: Int = 60) async throws {
        var last = "not reached"
        do {
            try await eventually("the indexer on port \(port) at height \(height)", seconds: Double(seconds)) {
                do {
                    let s = try await client.withConnection(host: "127.0.0.1", port: port, expecting: .indexer) { c in
                        try IndexerStatus(canonicalBytes: try await c.request(IndexerAPI.status, [], timeout: .seconds(5)))
                    }
                    last = "proven \(s.provenHeight)"
                    return s.provenHeight >= height
                } catch { last = "\(error)"; return false }
            }
        } catch is TestFailure {
            throw TestFailure("the indexer on port \(port) did not reach height \(height) in \(seconds) s: \(last)")
        }
    }

    /// Opens one feed and hands each event to `body` until it returns false or the stream ends.
    func feed(port: Int, role: Role = .indexer, _ q: FeedRequest, _ body: (FeedEvent) async throws -> Bool) async throws {
        try await client.withConnection(host: "127.0.0.1", port: port, expecting: role) { c in
            for try await payload in c.stream(IndexerAPI.feed, q.canonicalBytes) {
                guard try await body(try FeedEvent(canonicalBytes: payload)) else { return }
            }
        }
    }
}

/// What a resuming subscriber saw.
struct FeedLog: Sendable {
    var changes: [ProvenTransaction] = []
    var arrivals: [ContinuousClock.Instant] = []
    var reconnects = 0
    var ends: [FeedEnd] = []
    var errors: [String] = []
}

/// A subscriber that follows a feed across disconnects (its own, the server's, a killed indexer),
/// resuming from its tracker's cursor, rotating over `ports`, until `done` holds or the deadline.
func followResuming(_ client: FeedClient, ports: [Int], role: Role = .indexer, request: FeedRequest, seconds: Int = 180,
                    disconnectAfter: @Sendable () -> Int? = { nil },
                    done: @Sendable (FeedTracker) -> Bool) async -> (FeedLog, FeedTracker) {
    var log = FeedLog()
    var tracker = FeedTracker(initial: request.start)
    let deadline = ContinuousClock.now + .seconds(seconds)
    var attempt = 0
    var reconnect = Backoff(first: .milliseconds(50), cap: .milliseconds(50))
    while ContinuousClock.now < deadline, !done(tracker), attempt < 5000 {
        let port = ports[attempt % ports.count]
        attempt += 1
        var q = request
        q.start = tracker.start
        let quota = disconnectAfter()
        var seen = 0
        do {
            try await client.feed(port: port, role: role, q) { event in
                switch tracker.accept(event) {
                case .deliver(let p):
                    log.changes.append(p)
                    log.arrivals.append(.now)
                case .ended(let e): log.ends.append(e)
                case .advanced, .duplicate: break
                }
                seen += 1
                if done(tracker) { return false }
                if let quota, seen >= quota { return false }
                return true
            }
        } catch {
            log.errors.append("\(error)")
            _ = try? await reconnect.wait()   // a client's pause before reconnecting
        }
        if !done(tracker) { log.reconnects += 1 }
    }
    return (log, tracker)
}

/// The cursors of `dataset`'s record changes in `chain` whose JSON payload passes `keep`, in order.
func expectedCursors(_ chain: IndexerChain, _ dataset: DatasetID, keep: ([String: Any]) -> Bool = { _ in true }) -> [ChainCursor] {
    chain.blocks.flatMap { cb in
        cb.block.transactions.enumerated().compactMap { i, tx -> ChainCursor? in
            switch tx.body.operation {
            case let .putRecord(d, _, _) where d == dataset:
                let o = (try? JSONSerialization.jsonObject(with: Data(tx.payloadBytes ?? []))) as? [String: Any] ?? [:]
                return keep(o) ? ChainCursor(height: cb.height, index: UInt32(i)) : nil
            case let .deleteRecord(d, _, _) where d == dataset:
                return keep([:]) ? ChainCursor(height: cb.height, index: UInt32(i)) : nil
            default: return nil
            }
        }
    }
}

/// Appends `blocks` blocks of `perBlock` parking sessions to the served chain, pausing between
/// them; records when each height was committed (for latency).
actor ChainFeeder {
    let holder: ChainHolder
    private(set) var committedAt: [UInt64: ContinuousClock.Instant] = [:]
    private var next = 0

    init(holder: ChainHolder, startIndex: Int = 100_000) {
        self.holder = holder
        next = startIndex
    }

    func feed(blocks: Int, perBlock: Int, pause: Duration, padding: Int = 0) async throws {
        for _ in 0..<blocks {
            let start = next
            next += perBlock
            let h = await holder.appendParking(start..<(start + perBlock), padding: padding)
            committedAt[h] = .now
            try await Task.sleep(for: pause)   // the chain's block rate under test, not synchronisation
        }
    }

    func commit(_ build: @escaping @Sendable (inout IndexerChain) -> [SignedTransaction]) async -> UInt64 {
        let h = await holder.appendBlock(build)
        committedAt[h] = .now
        return h
    }
}

extension ChainHolder {
    /// Appends one block of parking sessions `range` (each payload padded by `padding` bytes); its height.
    func appendParking(_ range: Range<Int>, padding: Int) -> UInt64 {
        edit { c in
            let txs = range.map { i -> SignedTransaction in
                guard padding > 0 else { return c.parking(i) }
                // Opaque (not JSON) bytes: large changes without the cost of parsing them.
                let bytes = Array("session \(i) ".utf8) + [UInt8](repeating: 0x78, count: padding)
                return c.tx("traffic-bureau", IndexerChain.put(F.parking, "bay-\(i % 500)", bytes))
            }
            c.block(txs)
        }
        return chain.height
    }

    /// Appends one block of the transactions `build` makes; its height.
    func appendBlock(_ build: @Sendable (inout IndexerChain) -> [SignedTransaction]) -> UInt64 {
        edit { c in
            let txs = build(&c)
            c.block(txs)
        }
        return chain.height
    }

    var snapshot: IndexerChain { chain }
}

/// p50 and p99 of `values` in milliseconds, for printing.
func percentiles(_ values: [Double]) -> (p50: Double, p99: Double) {
    guard !values.isEmpty else { return (0, 0) }
    let s = values.sorted()
    return (s[s.count / 2], s[min(s.count - 1, Int(Double(s.count) * 0.99))])
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
