import ArgumentParser
import CityPKI
import CityWire
import Foundation
import Logging
import ServiceLifecycle

/// `citychain-bench slow-clients`: the memory of a wire server held by slow clients (issue 17
/// item 2). A `WireServer` with the services' limits runs in this process; `deploy/lib/slow-clients.py`
/// (another process, so its buffers are not counted here) opens `--connections` mutual-TLS
/// connections that each send `--send-mib` of a 4 MiB frame and then nothing; meanwhile this
/// process samples its resident memory and times echo requests of a well-behaved client.
struct SlowClientsBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slow-clients",
        abstract: "Resident memory and latency of a wire server while slow clients hold partial frames.")

    @Option(help: "Slow connections.") var connections = 100
    @Option(help: "MiB of its 4 MiB frame each slow connection sends before stopping.") var sendMib = 3.5
    @Option(help: "Seconds the slow connections hold after sending.") var holdSeconds = 10.0
    @Option(help: "The server's budget of unfinished frames across connections, MiB (its maxUnfinishedFrameBytes; 0: unbounded).")
    var budgetMib = 256
    @Option(help: "The slow-client script.") var script = "deploy/lib/slow-clients.py"

    func validate() throws {
        guard (1...2000).contains(connections) else { throw ValidationError("--connections must be in 1...2000") }
        guard sendMib > 0, sendMib < 4 else { throw ValidationError("--send-mib must be in (0, 4)") }
        guard holdSeconds >= 1, holdSeconds <= 600 else { throw ValidationError("--hold-seconds must be in 1...600") }
        guard budgetMib >= 0 else { throw ValidationError("--budget-mib must be 0 or more") }
        guard FileManager.default.fileExists(atPath: script) else { throw ValidationError("--script \(script) does not exist; run from the repository's top") }
    }

    static let echo = MessageKind(.node, 0xF0)

    func run() async throws {
        let logger = Logger(label: "citychain.bench.slow-clients")
        let ca = try CertificateAuthority.create()
        var router = WireRouter()
        router.unary(Self.echo, allowedRoles: { _ in true }) { $0.payload }
        var configuration = WireConfiguration()
        configuration.shutdownGracePeriod = .milliseconds(500)
        configuration.maxUnfinishedFrameBytes = budgetMib == 0 ? Int.max / 2 : budgetMib * 1_048_576
        let server = WireServer(host: "127.0.0.1", port: 0, tls: TLSSetup.server(try TLSIdentity(issued: ca.issue(role: .validator, name: "bench-server"))),
                                router: router, configuration: configuration, logger: logger)
        let group = ServiceGroup(services: [server], gracefulShutdownSignals: [], logger: logger)
        let serving = Task { try await group.run() }
        let port = try await server.listeningAddress.port!

        let scratch = try BenchChild(prefix: "citychain-slow-clients")
        defer { scratch.remove() }
        let files = try scratch.write(try ca.issue(role: .agency("slow-agency"), name: "slow-agency"), as: "slow-agency")
        let ready = scratch.path("ready")

        let probe = try WireClient(tls: TLSSetup.client(try TLSIdentity(issued: ca.issue(role: .agency("probe"), name: "probe"))), logger: logger)
        let before = Self.residentMiB()
        let refusedBefore = WireRefusals.count("buffers")
        print("slow clients: \(connections) connections each sending \(sendMib) MiB of a 4 MiB frame, then holding \(holdSeconds) s; "
              + "server budget of unfinished frames \(budgetMib == 0 ? "unbounded" : "\(budgetMib) MiB"); resident before: \(f(before)) MiB")
        // Sample the resident memory until the script exits; time echoes once every slow client has sent.
        var peak = before
        var echoes: [Double] = []
        var echoFailures = 0
        let limit = Date().addingTimeInterval(holdSeconds + 180)
        let (status, stdout, _) = try await scratch.run("/usr/bin/env", [
            "python3", script, "--port", "\(port)", "--cert", files.certificatePath, "--key", files.privateKeyPath,
            "--ca", files.caCertificatePath, "--connections", "\(connections)", "--send-bytes", "\(Int(sendMib * 1_048_576))",
            "--hold-seconds", "\(holdSeconds)", "--ready-file", ready,
        ]) { child in
            try await probe.withConnection(host: "127.0.0.1", port: port, expecting: .validator) { connection in
                while child.isRunning, Date() < limit {   // bounded by the script's hold and the limit
                    peak = max(peak, Self.residentMiB())
                    if FileManager.default.fileExists(atPath: ready), echoes.count + echoFailures < 200 {
                        let t = ContinuousClock.now
                        do {
                            _ = try await connection.request(Self.echo, [1, 2, 3], timeout: .seconds(5))
                            echoes.append(Double((ContinuousClock.now - t) / .microseconds(1)) / 1000)
                        } catch { echoFailures += 1 }
                    }
                    try await Task.sleep(for: .milliseconds(20))   // the sampling period
                }
            }
        }
        let report = stdout.split(separator: "\n").last.map(String.init) ?? "{}"
        try await Task.sleep(for: .milliseconds(500))   // let the server drop the closed connections' buffers
        let after = Self.residentMiB()
        await group.triggerGracefulShutdown()
        _ = try? await serving.value
        echoes.sort()
        let p50 = echoes.isEmpty ? 0 : echoes[echoes.count / 2], p99 = echoes.isEmpty ? 0 : echoes[min(echoes.count - 1, echoes.count * 99 / 100)]
        let refused = WireRefusals.count("buffers") - refusedBefore
        print("  the clients (exit \(status)): \(report)")
        print("  resident memory: before \(f(before)) MiB, peak \(f(peak)) MiB (+\(f(peak - before))), after \(f(after)) MiB; "
              + "connections refused by the budget: \(refused)")
        print("  a well-behaved client meanwhile: \(echoes.count) echoes, p50 \(f(p50, 2)) / p99 \(f(p99, 2)) ms, \(echoFailures) failed")
        print(#"{"connections":\#(connections),"send_mib":\#(sendMib),"budget_mib":\#(budgetMib),"rss_before_mib":\#(f(before)),"rss_peak_mib":\#(f(peak)),"rss_growth_mib":\#(f(peak - before)),"rss_after_mib":\#(f(after)),"refused_by_budget":\#(refused),"echo_p99_ms":\#(f(p99, 2)),"echo_failed":\#(echoFailures)}"#)
    }

    /// This process's resident set, MiB (/proc/self/status VmRSS).
    static func residentMiB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
        return kb / 1024
    }

    private func f(_ v: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }
}
