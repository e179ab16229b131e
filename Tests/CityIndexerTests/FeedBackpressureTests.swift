import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import Testing
@testable import CityIndexer

/// A subscriber that stops reading (a real `citychain watch` process, stopped with SIGSTOP) does
/// not hold back commits or the other subscribers: they get every change while it is stopped, and
/// it is ended with `tooSlow` once its bounded buffer on the indexer fills; resumed (SIGCONT), the
/// CLI reconnects from its cursor and still prints every change once. The CLI's cursor file and
/// `--until-height` make a watch resumable across runs.
@Suite(.serialized) struct FeedBackpressureTests {
    /// A `citychain watch` process with its output in files.
    final class Watcher: @unchecked Sendable {
        let process = Process()
        let out: String
        let err: String

        init(files: ProcessFiles, agency: String, args: [String]) throws {
            let (cert, key) = try files.identity(.agency(agency), agency + "-\(UUID().uuidString.prefix(6))")
            out = files.dir + "/watch-\(UUID()).out"
            err = files.dir + "/watch-\(UUID()).err"
            FileManager.default.createFile(atPath: out, contents: nil)
            FileManager.default.createFile(atPath: err, contents: nil)
            process.executableURL = URL(fileURLWithPath: Binaries.cli)
            process.arguments = ["watch"] + args + ["--cert", cert, "--key", key, "--ca", files.dir + "/ca.pem"]
            process.standardOutput = FileHandle(forWritingAtPath: out)
            process.standardError = FileHandle(forWritingAtPath: err)
            try process.run()
        }

        var stdout: String { (try? String(contentsOfFile: out, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOfFile: err, encoding: .utf8)) ?? "" }

        /// The JSON lines of type `type`. The output runs to tens of megabytes: lines are found with
        /// memchr on the bytes (splitting the String by Character took most of this test's time).
        func lines(_ type: String) -> [[String: Any]] {
            guard let data = FileManager.default.contents(atPath: out) else { return [] }
            return data.withUnsafeBytes { raw -> [[String: Any]] in
                guard let base = raw.baseAddress else { return [] }
                var found: [[String: Any]] = []
                var start = 0
                while start < raw.count {
                    let end = memchr(base + start, 0x0A, raw.count - start).map { UnsafeRawPointer($0) - base } ?? raw.count
                    if end > start, let o = (try? JSONSerialization.jsonObject(with: Data(bytes: base + start, count: end - start))) as? [String: Any],
                       o["type"] as? String == type {
                        found.append(o)
                    }
                    start = end + 1
                }
                return found
            }
        }

        func changeCursors() -> [ChainCursor] { lines("change").compactMap { ($0["cursor"] as? String).flatMap(ChainCursor.init(text:)) } }

        /// Waits for the process to exit (bounded); its status.
        func exit(seconds: Int = 120) async throws -> Int32 {
            guard await waitForExit(process, seconds: Double(seconds)) else {
                await stopProcess(process)
                throw TestFailure("citychain watch did not exit in \(seconds) s; stderr: \(stderr.suffix(500))")
            }
            return process.terminationStatus
        }
    }

    static func latencies(_ log: FeedLog, _ committed: [UInt64: ContinuousClock.Instant], heights: ClosedRange<UInt64>) -> [Double] {
        zip(log.changes, log.arrivals).compactMap { p, at in
            guard heights.contains(p.height), let c = committed[p.height] else { return nil }
            return (at - c).milliseconds
        }
    }

    @Test(.timeLimit(.minutes(8))) func aStoppedSubscriberDoesNotDelayOthersAndIsEndedTooSlow() async throws {
        var chain = IndexerChain()
        chain.parkingBlocks(400, perBlock: 20)
        let (holder, ca, validator) = try await ChainServer.serve(chain)
        let files = try ProcessFiles(ca: ca)
        defer { files.remove() }
        var limits = FeedLimits()
        limits.maxBufferedEvents = 32
        let indexer = try await TestIndexer(db: try await TestPostgres.database().settings, validators: [validator.address], ca: ca,
                                            feedLimits: limits)
        defer { Task { await indexer.stop(); await validator.stop() } }
        try await indexer.waitFor(height: chain.height)
        let feeder = ChainFeeder(holder: holder)
        let request = FeedRequest(datasets: [F.parking], start: .beginning)
        let phase1 = chain.height + 1...chain.height + 20, phase2 = chain.height + 21...chain.height + 60
        let final = phase2.upperBound
        let total = (chain.blocks.count + 60) * 20

        // Three subscribers that keep up, through both phases.
        let clients = try (0..<3).map { try FeedClient(ca: ca, agency: ["parks-department", "tax-office", "hospital"][$0]) }
        let port = indexer.port
        let subscribers = Task {
            try await withThrowingTaskGroup(of: FeedLog.self) { group in
                for c in clients {
                    group.addTask {
                        await followResuming(c, ports: [port], request: request, seconds: 300,
                                             done: { ($0.cursor ?? .start) >= .endOf(height: final) }).0
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        // Phase 1: nobody stalls.
        try await feeder.feed(blocks: 20, perBlock: 20, pause: .milliseconds(50), padding: 16_000)
        // Phase 2: a watcher that stops reading (SIGSTOP) while 800 changes of 16 kB (~13 MB) are committed.
        let slow = try Watcher(files: files, agency: "traffic-bureau",
                               args: ["parking.sessions", "--indexer", "127.0.0.1:\(port)", "--from", "beginning", "--output", "json",
                                      "--limit", "\(total)"])
        defer { if slow.process.isRunning { kill(slow.process.processIdentifier, SIGCONT); slow.process.terminate() } }
        try await eventually("the slow subscriber prints a change", seconds: 30) { !slow.lines("change").isEmpty }
        #expect(!slow.lines("change").isEmpty, "the watcher printed nothing: \(slow.stderr)")
        kill(slow.process.processIdentifier, SIGSTOP)
        try await feeder.feed(blocks: 40, perBlock: 20, pause: .milliseconds(50), padding: 16_000)
        let logs = try await subscribers.value
        let expected = expectedCursors(await holder.snapshot, F.parking)
        #expect(expected.count == total)
        let committed = await feeder.committedAt
        for (i, log) in logs.enumerated() {
            let same = log.changes.map(\.cursor) == expected
            #expect(same, "subscriber \(i) got \(log.changes.count) of \(expected.count) changes")
        }
        let without = percentiles(logs.flatMap { Self.latencies($0, committed, heights: phase1) })
        let with = percentiles(logs.flatMap { Self.latencies($0, committed, heights: phase2) })
        print("feed latency commit→delivery, 3 subscribers: without a stalled one p50 \(Int(without.p50)) ms p99 \(Int(without.p99)) ms; with one stalled p50 \(Int(with.p50)) ms p99 \(Int(with.p99)) ms")

        // Resumed, the watcher drains what was buffered, is told tooSlow, resumes from its cursor
        // and prints every change once, in order.
        kill(slow.process.processIdentifier, SIGCONT)
        let status = try await slow.exit()
        #expect(status == 0, "\(slow.stderr.suffix(800))")
        #expect(slow.lines("end").contains { $0["reason"] as? String == "tooSlow" }, "no tooSlow end; stderr: \(slow.stderr.suffix(800))")
        let printed = slow.changeCursors()
        let printedAll = printed == expected
        #expect(printedAll, "the watcher printed \(printed.count) of \(expected.count) changes")
    }

    @Test(.timeLimit(.minutes(4))) func watchResumesFromItsCursorFileAndStopsAtAHeight() async throws {
        var chain = IndexerChain()
        chain.parkingBlocks(200, perBlock: 20)                                     // heights 1–10
        let (holder, ca, validator) = try await ChainServer.serve(chain)
        let files = try ProcessFiles(ca: ca)
        defer { files.remove() }
        var limits = FeedLimits()
        limits.heartbeatInterval = .milliseconds(200)
        let indexer = try await TestIndexer(db: try await TestPostgres.database().settings, validators: [validator.address], ca: ca,
                                            feedLimits: limits)
        defer { Task { await indexer.stop(); await validator.stop() } }
        try await indexer.waitFor(height: 10)
        let cursorFile = files.dir + "/cursor"
        try? FileManager.default.removeItem(atPath: cursorFile)
        let genesis = files.dir + "/genesis.json"
        func watch(until: UInt64) async throws -> Watcher {
            let w = try Watcher(files: files, agency: "parks-department",
                                args: ["parking.sessions", "--indexer", "127.0.0.1:\(indexer.port)", "--from", "beginning", "--where", #"zone="B""#,
                                       "--output", "json", "--genesis", genesis, "--cursor-file", cursorFile, "--until-height", "\(until)"])
            #expect(try await w.exit() == 0, "\(w.stderr)")
            return w
        }
        let zoneB: @Sendable ([String: Any]) -> Bool = { $0["zone"] as? String == "B" }
        let all = expectedCursors(chain, F.parking, keep: zoneB)
        let first = try await watch(until: 4)
        #expect(first.changeCursors() == all.filter { $0.height <= 4 })
        #expect(first.lines("change").allSatisfy { $0["verified"] as? String == "yes" })
        // The second run starts after the cursor the first one saved, and the chain grows meanwhile.
        let feeder = ChainFeeder(holder: holder)
        try await feeder.feed(blocks: 5, perBlock: 20, pause: .milliseconds(10))
        let second = try await watch(until: 15)
        let grown = expectedCursors(await holder.snapshot, F.parking, keep: zoneB)
        #expect(second.changeCursors() == grown.filter { $0.height > 4 && $0.height <= 15 })
        let saved = try String(contentsOfFile: cursorFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(ChainCursor(text: saved).map { $0 >= grown.last! } == true, "cursor file holds \(saved)")
        // A dataset the agency may not read: the watch exits non-zero and says why.
        let refused = try Watcher(files: files, agency: "parks-department",
                                  args: ["medical.records", "--indexer", "127.0.0.1:\(indexer.port)", "--purpose", "x"])
        #expect(try await refused.exit() != 0)
        #expect(refused.stderr.contains("no grant"), "\(refused.stderr)")
    }
}
