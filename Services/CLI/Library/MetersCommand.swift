import ArgumentParser
import CityChainAPI
import CityEncoding
import CityLedger
import CityNode
import CityOps
import CityPKI
import CityWire
import Foundation
import Logging
import Synchronization
@preconcurrency import Crypto

/// `citychain meters`: street-parking meters streaming sessions through a gateway, as the city's
/// parking authority does all day (the devnet demo runs it). Each meter writes its bay's current
/// session (`parking-sessions/<bay>`, public JSON) at an offered rate, open loop, for `--seconds`;
/// every write waits for its commit through the gateway, so the figures are end to end: sessions
/// committed per second and commit latency p50/p99 as the meters see it.
struct MetersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meters",
        abstract: "Parking meters streaming sessions through a gateway; prints sessions/s and commit latency.")

    @Option(help: "HOST:PORT of the gateway.") var gateway: String
    @Option(help: "The writing agency's PEM certificate.") var cert: String
    @Option(help: "Its PEM private key.") var key: String
    @Option(help: "The city CA certificate.") var ca: String
    @Option(help: "The writing agency (its id; the certificate's agency).") var agency: String
    @Option(help: "The agency's signing key file.") var signingKey: String
    @Option(help: "Key id of the signing key on chain.") var keyID: UInt32 = 1
    @Option(help: "Dataset of the sessions.") var dataset = "parking-sessions"
    @Option(help: "Number of meters (bays meter-1 … meter-N).") var meters = 200
    @Option(help: "Sessions offered per second, all meters together (open loop).") var rate = 100.0
    @Option(help: "Seconds of streaming.") var seconds = 10.0
    @Option(help: "Connections to the gateway (each carries at most 64 requests at once, the wire's bound).") var connections = 4
    @Option(help: "Most sessions waiting for their commit at once, on each connection (1-64).") var inFlight = 60
    @Option(help: "Output: table or json.") var output = "table"

    func run() async throws {
        guard let address = HostPort(gateway) else { throw ValidationError("--gateway '\(gateway)' must be HOST:PORT") }
        guard meters >= 1, meters <= 100_000 else { throw ValidationError("--meters \(meters) must be 1…100,000") }
        guard rate > 0, rate <= 20_000 else { throw ValidationError("--rate \(rate) must be more than 0 and at most 20,000 per second") }
        guard seconds > 0, seconds <= 3600 else { throw ValidationError("--seconds \(seconds) must be more than 0 and at most 3,600") }
        guard (1...64).contains(inFlight) else { throw ValidationError("--in-flight \(inFlight) must be 1…64 (the wire's bound per connection)") }
        guard (1...64).contains(connections) else { throw ValidationError("--connections \(connections) must be 1…64") }
        let ds = try DatasetID(dataset)
        let signer = Signer(agency: try AgencyID(agency), keyID: KeyID(keyID))
        let signing = try Curve25519.Signing.PrivateKey(rawRepresentation: try KeyFile.load(signingKey, expecting: .signing).privateKeyBytes)
        let identity = try TLSIdentity(files: .init(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca))
        let client = try WireClient(tls: TLSSetup.client(identity), logger: Logger(label: "citychain.meters"))
        let zones = ["centre", "harbour", "old-town", "university", "market", "riverside"]
        let total = Int(rate * seconds)
        let results = MeterResults()
        let window = ContinuousClock.now
        let status = try await client.withConnection(host: address.host, port: address.port, expecting: .gateway) { conn in
            try GatewayStatus(canonicalBytes: try await conn.request(GatewayAPI.status, []))
        }
        let nonceBase = UInt64(Date().timeIntervalSince1970 * 1000) << 20
        let meters = meters
        /// Session n: a parking session at bay n % meters + 1, signed.
        @Sendable func session(_ n: Int) -> SignedTransaction? {
            let bay = n % meters + 1
            let payload = Array(#"{"bay":\#(bay),"meter":"meter-\#(bay)","minutes":\#(15 * (n % 8 + 1)),"paid":\#(n % 5 != 0),"session":\#(n),"zone":"\#(zones[bay % zones.count])"}"#.utf8)
            let body = TransactionBody(chainID: status.chainID, signer: signer, nonce: nonceBase + UInt64(n),
                                       expiresAtHeight: status.headHeight + 5000,
                                       operation: .putRecord(dataset: ds, subject: try! SubjectKey("meter-\(bay)"), payloadHash: Hash32.sha256(payload)))
            return try? SignedTransaction.sign(body, payload: payload, key: signing)
        }
        // Session n goes on connection n % connections, offered at n / rate seconds (open loop:
        // whether or not earlier ones are final), at most `inFlight` waiting on each connection.
        try await withThrowingTaskGroup(of: Void.self) { lanes in
            for lane in 0..<connections {
                lanes.addTask {
                    try await client.withConnection(host: address.host, port: address.port, expecting: .gateway) { conn in
                        let slots = AsyncSemaphore(inFlight)
                        await withDiscardingTaskGroup { group in
                            for n in stride(from: lane, to: total, by: connections) {
                                let due = window + .milliseconds(Int64(Double(n) / rate * 1000))
                                if due > ContinuousClock.now { try? await Task.sleep(until: due) }
                                await slots.acquire()
                                guard let tx = session(n) else {
                                    results.add(.failed("signing failed")); await slots.release(); continue
                                }
                                let request = GatewaySubmit(transaction: tx, waitMillis: 20_000).canonicalBytes
                                group.addTask {
                                    await Self.submit(request, on: conn, into: results)
                                    await slots.release()
                                }
                            }
                        }
                    }
                }
            }
            try await lanes.waitForAll()
        }
        let elapsed = (ContinuousClock.now - window) / .seconds(1)
        let r = results.snapshot()
        report(r, offered: total, elapsed: elapsed)
        if r.latencies.count < total { throw ExitCode(1) }
    }

    /// One session's submit-and-wait, its outcome recorded. A `rateLimited` answer is retried after
    /// the hint it carries (at most 2 s, up to `maxRetries` times); the latency counts from the
    /// first attempt.
    private static func submit(_ request: [UInt8], on conn: WireConnection, into results: MeterResults) async {
        let start = ContinuousClock.now
        for attempt in 0... {   // bounded: returns after maxRetries refusals
            do {
                let o = try GatewayOutcome(canonicalBytes: try await conn.request(GatewayAPI.submit, request, timeout: .seconds(40)))
                switch o.state {
                case .committed: results.add(.committed((ContinuousClock.now - start) / .milliseconds(1)))
                case .pending: results.add(.pending)
                case .rejected(let why): results.add(.failed("\(why)"))
                }
                return
            } catch let e as WireError {
                guard case .rateLimited(let hint) = e.code else { results.add(.failed("\(e)")); return }
                guard attempt < maxRetries else { results.add(.limited); return }
                results.add(.retried)
                guard (try? await Task.sleep(for: .milliseconds(Int64(min(max(hint, 1), 2000))))) != nil else { results.add(.limited); return }
            } catch {
                results.add(.failed("\(error)"))
                return
            }
        }
    }

    /// Refusals (`rateLimited`) a session is retried after before it counts as rate-limited.
    static let maxRetries = 20

    /// The run's figures, as a table line or one JSON line.
    private func report(_ r: MeterResults.Snapshot, offered total: Int, elapsed: Double) {
        let p50 = Percentile.nearestRank(r.latencies, 0.5), p99 = Percentile.nearestRank(r.latencies, 0.99)
        let perSecond = Double(r.latencies.count) / elapsed
        if output == "json" {
            print(#"{"offered": \#(total), "committed": \#(r.latencies.count), "pending": \#(r.pending), "rateLimited": \#(r.limited), "retries": \#(r.retries), "failed": \#(r.failures.count), "seconds": \#(String(format: "%.1f", elapsed)), "committedPerSecond": \#(String(format: "%.1f", perSecond)), "p50Millis": \#(String(format: "%.1f", p50)), "p99Millis": \#(String(format: "%.1f", p99))}"#)
        } else {
            print(String(format: "%d meters: %d sessions offered at %.0f/s, %d committed in %.1f s (%.1f sessions/s), commit latency p50 %.1f ms p99 %.1f ms; %d pending, %d rate-limited, %d failed; %d retries after a rate limit",
                         meters, total, rate, r.latencies.count, elapsed, perSecond, p50, p99, r.pending, r.limited, r.failures.count, r.retries))
            for f in r.failures.prefix(3) { print("  failed: \(f)") }
        }
    }
}

/// What the meters' writes came to, shared by their tasks.
final class MeterResults: Sendable {
    enum Outcome: Sendable { case committed(Double), pending, limited, retried, failed(String) }
    struct Snapshot: Sendable { var latencies: [Double] = [], pending = 0, limited = 0, retries = 0, failures: [String] = [] }
    private let state = Mutex(Snapshot())
    func add(_ o: Outcome) {
        state.withLock { s in
            switch o {
            case .committed(let ms): s.latencies.append(ms)
            case .pending: s.pending += 1
            case .limited: s.limited += 1
            case .retried: s.retries += 1
            case .failed(let why): s.failures.append(why)
            }
        }
    }
    func snapshot() -> Snapshot { state.withLock { $0 } }
}

/// A counting semaphore for bounding tasks in flight.
actor AsyncSemaphore {
    private var free: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []
    init(_ count: Int) { free = count }
    func acquire() async {
        if free > 0 { free -= 1; return }
        await withCheckedContinuation { waiters.append($0) }
    }
    func release() {
        if waiters.isEmpty { free += 1 } else { waiters.removeFirst().resume() }
    }
}
