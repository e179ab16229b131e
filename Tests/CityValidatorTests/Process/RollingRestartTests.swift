import CityChainAPI
import CityLedger
import CityTestSupport
import Foundation
import Testing
@testable import CityValidator

/// `deploy/rolling-restart` on four real validator processes, each restarted by a supervisor when
/// it stops (what systemd does): the script restarts all four, one at a time, and at no moment are
/// fewer than three (a quorum) ready; with one validator down it refuses to restart any other.
@Suite(.serialized) struct RollingRestartTests {
    typealias F = MempoolFixture

    static let script: String = {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        return root.appendingPathComponent("deploy/rolling-restart").path
    }()

    /// Runs the script (bounded) and returns its exit status and output.
    static func run(_ args: [String], seconds: Double) async throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [script] + args
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("rolling-\(UUID()).out").path
        FileManager.default.createFile(atPath: out, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: out) }
        let handle = FileHandle(forWritingAtPath: out)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        if !(await waitForExit(p, seconds: seconds)) {
            await stopProcess(p, signal: SIGKILL)
            throw TestFailure("deploy/rolling-restart did not finish within \(seconds) s")
        }
        return (p.terminationStatus, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    static func writePid(_ p: ValidatorProcess, in dir: String) throws {
        try Data("\(p.pid ?? 0)".utf8).write(to: URL(fileURLWithPath: "\(dir)/\(p.name).pid"))
    }

    /// How many of the validators answer /readyz 200 now.
    static func readyCount(_ opsPorts: [Int]) async -> Int { await readiness(opsPorts).ready }

    /// How many answer /readyz 200 now, and what the others answered.
    static func readiness(_ opsPorts: [Int]) async -> (ready: Int, others: [String]) {
        var n = 0
        var others: [String] = []
        for (i, port) in opsPorts.enumerated() {
            let answer = try? await HTTPGet.fetch(port: port, path: "/readyz", timeoutSeconds: 2)
            if answer?.status == 200 { n += 1 } else { others.append("validator-\(i): \(answer.map { "\($0.status) \($0.body)" } ?? "no answer")") }
        }
        return (n, others)
    }

    @Test(.timeLimit(.minutes(6))) func aRollingRestartNeverTakesTheChainBelowQuorum() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: ValidatorProcess.binary.path), "build the executables first (swift build)")
        let cluster = try TestCluster()
        let genesisPath = cluster.root + "/genesis.json"
        try F.genesis.toJSON().write(to: URL(fileURLWithPath: genesisPath))
        let ports = TestCluster.freePorts(8)
        let addresses = ports.prefix(4).map { "127.0.0.1:\($0)" }
        let procs = try (0..<4).map { i in
            try ValidatorProcess(name: "validator-\(i)", port: ports[i], dir: cluster.root, ca: cluster.ca, genesisPath: genesisPath,
                                 validatorKey: Array(F.validatorKeys[i].rawRepresentation), peers: addresses,
                                 extra: ["--ops-listen", "127.0.0.1:\(ports[4 + i])"])
        }
        let pidDir = cluster.root + "/pids"
        try FileManager.default.createDirectory(atPath: pidDir, withIntermediateDirectories: true)
        for p in procs { try await p.start(); try Self.writePid(p, in: pidDir) }
        let client = try cluster.client(.admin)
        let opsPorts = Array(ports.suffix(4))
        try await eventually("all four ready", seconds: 60) { await Self.readyCount(opsPorts) == 4 }
        for i in 0..<3 {   // a chain with blocks, so a restarted validator has something to catch up on
            let r = try await client.submit(F.parking(UInt64(i), expires: 5000), to: addresses[i], waitMillis: 20_000)
            guard case .committed = r.status else { Issue.record("not committed before the restart: \(r.status)"); return }
        }

        // The supervisor: a validator that stops is started again (as systemd's Restart= does).
        let supervising = Locked(true)
        let restarts = Locked([String: Int]())
        let supervisor = Task {
            await withTaskGroup(of: Void.self) { group in
                for p in procs {
                    group.addTask {
                        while supervising.withLock({ $0 }) {
                            guard await p.waitUntilStopped(seconds: 0.5), supervising.withLock({ $0 }) else { continue }
                            do { try await p.start(); try Self.writePid(p, in: pidDir) } catch {
                                Issue.record("the supervisor could not start \(p.name) again: \(error)\n\(p.tail())")
                                return
                            }
                            restarts.withLock { $0[p.name, default: 0] += 1 }
                        }
                    }
                }
            }
        }
        // The writer: one transaction at a time to each validator in turn while the script runs
        // (bounded: at most 2,000); those a stopped validator refuses are not counted.
        let writing = Locked(true)
        let committedDuring = Locked(0)
        let writer = Task {
            var n: UInt64 = 100
            while writing.withLock({ $0 }) && n < 2100 {
                let to = addresses[Int(n) % 4]
                if let r = try? await client.submit(F.parking(n, expires: 5000), to: to, waitMillis: 5000), case .committed = r.status {
                    committedDuring.withLock { $0 += 1 }
                }
                n += 1
            }
        }
        // The watcher: how many are ready, every 50 ms, while the script runs.
        let watching = Locked(true)
        let fewest = Locked(4)
        let lowest = Locked([String]())
        let watcher = Task {
            while watching.withLock({ $0 }) {
                let (n, others) = await Self.readiness(opsPorts)
                fewest.withLock { if n < $0 { $0 = n; lowest.withLock { $0 = others } } }
                try? await Task.sleep(for: .milliseconds(50))   // the sampling interval of the watcher, not synchronisation
            }
        }
        let nodes = procs.enumerated().flatMap { i, p in ["--node", "\(p.name)=127.0.0.1:\(ports[4 + i])"] }
        let rolled = try await Self.run(["--restart", "kill -TERM $(cat \(pidDir)/{name}.pid)", "--timeout", "120"] + nodes, seconds: 300)
        watching.withLock { $0 = false }
        writing.withLock { $0 = false }
        _ = await watcher.value
        _ = await writer.value
        #expect(rolled.status == 0, "\(rolled.output)\n--- validator-0: running \(procs[0].isRunning)\n\(procs[0].tail())")
        #expect(restarts.withLock { $0 } == ["validator-0": 1, "validator-1": 1, "validator-2": 1, "validator-3": 1], "each restarted once")
        #expect(fewest.withLock { $0 } >= 3, "never fewer than a quorum ready during the rolling restart; at the lowest: \(lowest.withLock { $0 })")
        #expect(committedDuring.withLock { $0 } > 0, "the chain committed while its validators were restarted")
        let after = try await client.submit(F.parking(1, expires: 5000), to: addresses[0], waitMillis: 20_000)
        guard case .committed = after.status else { Issue.record("the chain does not commit after the rolling restart: \(after.status)"); return }

        // One validator down (not restarted): the script refuses to restart any other.
        supervising.withLock { $0 = false }
        await procs[3].kill9()
        let pidsBefore = procs.prefix(3).map(\.pid)
        let refused = try await Self.run(["--restart", "kill -TERM $(cat \(pidDir)/{name}.pid)", "--timeout", "3"] + nodes, seconds: 60)
        #expect(refused.status != 0 && refused.output.contains("validator-3 not ready"), "\(refused.output)")
        #expect(procs.prefix(3).map(\.pid) == pidsBefore && procs.prefix(3).allSatisfy(\.isRunning), "no other validator was restarted")
        supervisor.cancel()
        for p in procs.prefix(3) { #expect(await p.terminate() == 0) }
        _ = await supervisor.value
        withExtendedLifetime(cluster) {}   // its directory (data, pid files) lives until here
    }
}

