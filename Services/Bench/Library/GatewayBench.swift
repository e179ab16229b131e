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

/// `citychain-bench gateway`: the gateway's overhead and throughput (docs/BENCHMARKS.md, "Gateway").
/// 1. Commit latency, one transaction at a time waiting for finality, alternating straight to a
///    validator (`ValidatorAPI.submit`) and through the gateway (`GatewayAPI.submit`, with its
///    receipt), so both see the same chain; p50/p99 of each and the difference.
/// 2. Throughput: closed loop through the gateway (each agency on its own certificate, `--in-flight`
///    requests each, answers on admission) for `--seconds`; admitted transactions per second and,
///    given `--gateway-pid`, the gateway's CPU time, hence its rate per core.
struct GatewayBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gateway",
                                                    abstract: "Gateway overhead (commit latency through it vs straight to a validator) and its throughput per core.")

    @Option(help: "HOST:PORT of the gateway.") var gateway: String
    @Option(help: "HOST:PORT of a validator (the direct path).") var validator: String
    @Option(help: "Directory with ca.pem and <agency>.pem/.key agency certificates.") var pkiDir: String
    @Option(help: "Directory of the agencies' signing key files, <agency>.json.") var keysDir: String
    @Option(help: "Agencies that write, comma-separated (each on its own certificate).") var agencies: String
    @Option(help: "Dataset every agency may write.") var dataset: String
    @Option(help: "Latency samples per path.") var samples = 100
    @Option(help: "Seconds of closed-loop throughput load.") var seconds = 10.0
    @Option(help: "Requests in flight per agency connection.") var inFlight = 16
    @Option(help: "The gateway's process id (for its CPU time).") var gatewayPid: Int32?

    func run() async throws {
        guard let g = HostPort(gateway), let v = HostPort(validator) else { throw ValidationError("--gateway and --validator take HOST:PORT") }
        let ids = try agencies.split(separator: ",").map { try AgencyID(String($0)) }
        guard !ids.isEmpty, samples >= 10, seconds >= 1, (1...64).contains(inFlight) else {
            throw ValidationError("need ≥ 1 agency, --samples ≥ 10, --seconds ≥ 1, --in-flight 1…64")
        }
        let load = try await prepareLoad(ids: ids, gateway: g)
        try await measureLatency(load, gateway: g, validator: v)
        try await measureThroughput(load, gateway: g)
    }

    /// The agencies' connections and keys, and a maker of fresh signed writes for each.
    struct Load: Sendable {
        let clients: [WireClient]
        let tx: @Sendable (Int) -> SignedTransaction
    }

    private func prepareLoad(ids: [AgencyID], gateway g: HostPort) async throws -> Load {
        let ds = try DatasetID(dataset)
        let logger = Logger(label: "citychain.bench.gateway")
        var clients: [WireClient] = []
        var loaded: [Curve25519.Signing.PrivateKey] = []
        for id in ids {
            let files = TLSIdentityFiles(certificatePath: "\(pkiDir)/\(id).pem", privateKeyPath: "\(pkiDir)/\(id).key", caCertificatePath: "\(pkiDir)/ca.pem")
            clients.append(try WireClient(tls: TLSSetup.client(TLSIdentity(files: files)), logger: logger))
            loaded.append(try Curve25519.Signing.PrivateKey(rawRepresentation: try KeyFile.load("\(keysDir)/\(id).json", expecting: .signing).privateKeyBytes))
        }
        let keys = loaded
        let status = try await clients[0].withConnection(host: g.host, port: g.port, expecting: .gateway) { c in
            try GatewayStatus(canonicalBytes: try await c.request(GatewayAPI.status, []))
        }
        let nonceBase = UInt64(Date().timeIntervalSince1970 * 1000) << 16
        let counter = Mutex<UInt64>(0)
        let expires = status.headHeight + 5000
        return Load(clients: clients) { i in
            let n = counter.withLock { $0 += 1; return $0 }
            let payload = Array(#"{"bench":\#(n)}"#.utf8)
            let body = TransactionBody(chainID: status.chainID, signer: Signer(agency: ids[i], keyID: 1), nonce: nonceBase + n, expiresAtHeight: expires,
                                       operation: .putRecord(dataset: ds, subject: try! SubjectKey("gw-\(n)"), payloadHash: Hash32.sha256(payload)))
            return try! SignedTransaction.sign(body, payload: payload, key: keys[i])
        }
    }

    /// 1. Latency, alternating paths: straight to the validator, and through the gateway with its receipt.
    private func measureLatency(_ load: Load, gateway g: HostPort, validator v: HostPort) async throws {
        var direct: [Double] = [], viaGateway: [Double] = []
        let client = load.clients[0]
        try await client.withConnection(host: v.host, port: v.port, expecting: .validator) { vc in
            try await client.withConnection(host: g.host, port: g.port, expecting: .gateway) { gc in
                for s in 0..<(2 * samples) {
                    let t = load.tx(0)
                    let start = ContinuousClock.now
                    if s % 2 == 0 {
                        let r = try SubmitResponse(canonicalBytes: try await vc.request(ValidatorAPI.submit, SubmitRequest(transaction: t, waitMillis: 20_000).canonicalBytes, timeout: .seconds(30)))
                        guard case .committed = r.status else { throw ValidationError("direct submit did not commit: \(r.status)") }
                        direct.append((ContinuousClock.now - start) / .milliseconds(1))
                    } else {
                        let o = try GatewayOutcome(canonicalBytes: try await gc.request(GatewayAPI.submit, GatewaySubmit(transaction: t, waitMillis: 20_000).canonicalBytes, timeout: .seconds(30)))
                        guard case .committed = o.state else { throw ValidationError("gateway submit did not commit: \(o.state)") }
                        viaGateway.append((ContinuousClock.now - start) / .milliseconds(1))
                    }
                }
            }
        }
        let p: ([Double], Double) -> Double = { Percentile.nearestRank($0, $1) }
        print(String(format: "gateway-latency: direct p50=%.1f ms p99=%.1f ms; via gateway (with receipt) p50=%.1f ms p99=%.1f ms; overhead p50=%+.1f ms p99=%+.1f ms (%d samples each)",
                     p(direct, 0.5), p(direct, 0.99), p(viaGateway, 0.5), p(viaGateway, 0.99),
                     p(viaGateway, 0.5) - p(direct, 0.5), p(viaGateway, 0.99) - p(direct, 0.99), samples))
    }

    /// 2. Throughput, closed loop through the gateway; transactions signed before the window.
    private func measureThroughput(_ load: Load, gateway g: HostPort) async throws {
        let agencies = load.clients.count
        let perAgency = Int(Double(inFlight) * seconds * 150) + 1000   // ≥ 2,400 tx/s per agency connection
        print("signing \(perAgency * agencies) transactions for the throughput run…")
        let prepared: [[[UInt8]]] = (0..<agencies).map { i in
            (0..<perAgency).map { _ in GatewaySubmit(transaction: load.tx(i), waitMillis: 0).canonicalBytes }
        }
        let tally = Tally()
        let ticks0 = gatewayPid.map(Self.cpuTicks) ?? 0
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int64(seconds * 1000))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<agencies {
                let client = load.clients[i], requests = prepared[i], inFlight = inFlight
                group.addTask {
                    try await client.withConnection(host: g.host, port: g.port, expecting: .gateway) { c in
                        await Self.closedLoop(c, requests: requests, inFlight: inFlight, until: deadline, tally: tally)
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = (ContinuousClock.now - start) / .seconds(1)
        let rate = Double(tally.value(.admitted)) / elapsed
        var line = String(format: "gateway-throughput: %.0f tx/s admitted through the gateway (%d agencies × %d in flight, %.1f s; %d told to slow down, %d failed)",
                          rate, agencies, inFlight, elapsed, tally.value(.limited), tally.value(.failed))
        if let pid = gatewayPid {
            let cpu = Double(Self.cpuTicks(pid) - ticks0) / Double(sysconf(Int32(_SC_CLK_TCK))) / elapsed
            line += String(format: "; gateway CPU %.0f%% of one core → %.0f tx/s per core", cpu * 100, cpu > 0 ? rate / cpu : 0)
        }
        print(line)
    }

    /// `inFlight` workers on one connection sending `requests` in turn until `deadline`.
    private static func closedLoop(_ c: WireConnection, requests: [[UInt8]], inFlight: Int, until deadline: ContinuousClock.Instant, tally: Tally) async {
        let next = Tally()
        await withDiscardingTaskGroup { workers in
            for _ in 0..<inFlight {
                workers.addTask {
                    while ContinuousClock.now < deadline {
                        let k = next.take()
                        guard k < requests.count else { return }
                        do {
                            let o = try GatewayOutcome(canonicalBytes: try await c.request(GatewayAPI.submit, requests[k], timeout: .seconds(20)))
                            if case .rejected = o.state { tally.add(.failed) } else { tally.add(.admitted) }
                        } catch let e as WireError where { if case .rateLimited = e.code { true } else { false } }() {
                            tally.add(.limited)
                            try? await Task.sleep(for: .milliseconds(20))
                        } catch {
                            tally.add(.failed)
                        }
                    }
                }
            }
        }
    }

    static func cpuTicks(_ pid: Int32) -> Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
        guard fields.count > 12, let u = Int(fields[11]), let s = Int(fields[12]) else { return 0 }
        return u + s
    }
}

/// Counts shared by the bench's tasks.
final class Tally: Sendable {
    struct Counts: Sendable { var admitted = 0, limited = 0, failed = 0, next = 0 }
    private let counts = Mutex(Counts())
    enum Field: Sendable { case admitted, limited, failed }
    func add(_ field: Field) {
        counts.withLock { c in
            switch field { case .admitted: c.admitted += 1; case .limited: c.limited += 1; case .failed: c.failed += 1 }
        }
    }
    func value(_ field: Field) -> Int {
        counts.withLock { c in switch field { case .admitted: c.admitted; case .limited: c.limited; case .failed: c.failed } }
    }
    /// The next index to use.
    func take() -> Int { counts.withLock { c in defer { c.next += 1 }; return c.next } }
}
