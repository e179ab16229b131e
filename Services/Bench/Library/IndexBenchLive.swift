import CityChainAPI
import CityEncoding
import CityIndexer
import CityLedger
import CityPKI
import CityWire
import Dispatch
import Foundation
import Synchronization

/// Indexer lag at a fixed commit rate: after catch-up, publishes the prebuilt live blocks one per
/// `interval` (on a fixed schedule, not sleep-after-publish) and, for each, records how many blocks
/// the index is behind right after it is published (published height − indexed height, the new
/// block included: 1 means everything before it was already indexed) and how long until the
/// indexer's status, and then its proven state (what queries answer from), reach it. A watcher
/// samples both every 0.5 ms.
struct IndexBenchLive {
    struct Figures {
        /// Per block: blocks not yet indexed right after it was published (itself included).
        var behind: [Int] = []
        /// Per block indexed in time: publish → indexed, and publish → proven (queryable), ms.
        var indexedMillis: [Double] = []
        var provenMillis: [Double] = []
        /// Blocks not indexed (or not proven) before the deadline.
        var notIndexed = 0
        var notProven = 0
        /// Worst lateness of a publish against its schedule, ms (this process was busy).
        var publishLateMillis = 0.0
        var seconds = 0.0
        var transactions = 0
    }

    let runtime: IndexerRuntime
    let blocks: IndexBenchBlocks
    let chain: IndexBenchChain

    func run(count: Int, intervalMillis: Double, timeoutSeconds: Double) async throws -> Figures {
        var f = Figures()
        guard count > 0 else { return f }
        let first = await blocks.height + 1
        let last = first + UInt64(count) - 1
        let intervalNanos = UInt64(intervalMillis * 1e6)
        let deadline = LoadClock.now() + UInt64(count) * intervalNanos + UInt64(timeoutSeconds * 1e9)
        let status = runtime.status, proven = runtime.proven
        let watcher = Task { () -> ([UInt64], [UInt64]) in
            var indexedAt = [UInt64](repeating: 0, count: count), provenAt = [UInt64](repeating: 0, count: count)
            var seenI = first - 1, seenP = first - 1
            while (seenI < last || seenP < last), LoadClock.now() < deadline, !Task.isCancelled {   // bounded by the deadline
                let i = await status.indexedHeight, p = await proven.height, now = LoadClock.now()
                while seenI < min(i, last) { seenI += 1; indexedAt[Int(seenI - first)] = now }
                while seenP < min(p, last) { seenP += 1; provenAt[Int(seenP - first)] = now }
                try? await Task.sleep(for: .microseconds(500))
            }
            return (indexedAt, provenAt)
        }
        var published = [UInt64](repeating: 0, count: count)
        let start = LoadClock.now()
        for k in 0..<count {
            let due = start + UInt64(k) * intervalNanos
            let now = LoadClock.now()
            if due > now { try await Task.sleep(for: .nanoseconds(Int64(due - now))) }
            let h = await blocks.publishNext()
            published[k] = LoadClock.now()
            if published[k] > due { f.publishLateMillis = max(f.publishLateMillis, Double(published[k] - due) / 1e6) }
            f.behind.append(Int(h) - Int(await status.indexedHeight))
            f.transactions += chain.blocks[Int(h - 1)].block.transactions.count
        }
        let (indexedAt, provenAt) = await watcher.value
        f.seconds = Double(LoadClock.now() - start) / 1e9
        for k in 0..<count {
            if indexedAt[k] == 0 { f.notIndexed += 1 } else { f.indexedMillis.append(Double(indexedAt[k] - published[k]) / 1e6) }
            if provenAt[k] == 0 { f.notProven += 1 } else { f.provenMillis.append(Double(provenAt[k] - published[k]) / 1e6) }
        }
        return f
    }
}

/// Point queries with proof at a fixed rate: an agency client (certificate of `bench-reader`, a
/// reader with no special rights: the dataset is public) sends `RecordQuery` for random existing
/// subjects on a fixed schedule (open loop) over a few connections. Latency is send → answer.
/// Every answer is then verified (`RecordAnswer.verify` against the genesis validator set, and the
/// record must exist), after the paced window and on every core: verification is the agency's
/// cost (6 Ed25519 checks, about 1 ms of CPU) and, done inline in this process, it would take
/// half of a 2-core box from the indexer being measured.
struct IndexBenchQueries {
    struct Figures: Codable {
        var answerMillis: [Double] = []
        var sent = 0
        var answered = 0
        /// No answer, or an answer that does not verify.
        var failed = 0
        var verified = 0
        /// Not sent: every connection had its most requests in flight.
        var skipped = 0
        var firstFailure: String?
        var seconds = 0.0
        var verifySeconds = 0.0
        /// Worst lateness of a send against its schedule, ms.
        var sendLateMillis = 0.0
    }

    enum Outcome: Sendable {
        case ok(answerNanos: UInt64, subject: SubjectKey, bytes: [UInt8])
        case failed(String)
    }

    /// Requests in flight per connection (the wire allows 64 waiting per client connection).
    final class InFlight: Sendable {
        let counts: Mutex<[Int]>
        init(_ n: Int) { counts = Mutex(Array(repeating: 0, count: n)) }
        func take(_ c: Int, max: Int) -> Bool { counts.withLock { if $0[c] >= max { return false }; $0[c] += 1; return true } }
        func done(_ c: Int) { counts.withLock { $0[c] -= 1 } }
    }

    let client: WireClient
    let port: Int
    /// Subjects bay-0 … bay-(subjects − 1) exist; each query asks for a random one.
    let subjects: Int
    /// Who answers on `port`: the indexer, or a gateway that relays to it.
    var role: Role = .indexer

    /// The paced window: every answer received, not yet verified (see `verify`).
    func run(rate: Double, seconds: Double, connections: Int) async throws -> (Figures, [(SubjectKey, [UInt8])]) {
        let total = Int(rate * seconds)
        guard total > 0 else { return (Figures(), []) }
        return try await withConnections(connections) { conns in
            let inFlight = InFlight(conns.count)
            let periodNanos = 1e9 / rate
            var f = Figures()
            var answers: [(SubjectKey, [UInt8])] = []
            let start = LoadClock.now()
            await withTaskGroup(of: Outcome.self) { group in
                for i in 0..<total {   // bounded: total = rate × seconds
                    let due = start + UInt64(Double(i) * periodNanos)
                    let now = LoadClock.now()
                    if due > now { try? await Task.sleep(for: .nanoseconds(Int64(due - now))) }
                    let sendAt = LoadClock.now()
                    if sendAt > due { f.sendLateMillis = max(f.sendLateMillis, Double(sendAt - due) / 1e6) }
                    let c = i % conns.count
                    guard inFlight.take(c, max: 60) else { f.skipped += 1; continue }
                    f.sent += 1
                    let conn = conns[c]
                    let subject = IndexBenchChain.subject(Int.random(in: 0..<subjects))
                    group.addTask {
                        defer { inFlight.done(c) }
                        let q = RecordQuery(dataset: IndexBenchChain.parking, subject: subject)
                        let sent = LoadClock.now()
                        do {
                            let bytes = try await conn.request(IndexerAPI.record, q.canonicalBytes, timeout: .seconds(10))
                            return .ok(answerNanos: LoadClock.now() - sent, subject: subject, bytes: bytes)
                        } catch {
                            return .failed("\(subject): \(error)")
                        }
                    }
                }
                for await outcome in group {
                    switch outcome {
                    case let .ok(nanos, subject, bytes):
                        f.answerMillis.append(Double(nanos) / 1e6)
                        answers.append((subject, bytes))
                    case let .failed(why):
                        f.failed += 1
                        if f.firstFailure == nil { f.firstFailure = why }
                    }
                }
            }
            f.seconds = Double(LoadClock.now() - start) / 1e9
            f.answered = answers.count
            return (f, answers)
        }
    }

    /// Verifies every answer of the paced window against `set` into `f`.
    static func verify(_ answers: [(SubjectKey, [UInt8])], set: ValidatorSet, into f: inout Figures) {
        let verifyStart = LoadClock.now()
        let failures = Self.verifyAll(answers, set: set)
        f.verifySeconds = Double(LoadClock.now() - verifyStart) / 1e9
        f.verified = answers.count - failures.count
        f.failed += failures.count
        if f.firstFailure == nil { f.firstFailure = failures.first }
    }

    /// Decodes and verifies every answer on every core; returns why each failure failed.
    static func verifyAll(_ answers: [(SubjectKey, [UInt8])], set: ValidatorSet) -> [String] {
        guard !answers.isEmpty else { return [] }
        let slots = UnsafeMutableBufferPointer<String?>.allocate(capacity: answers.count)
        slots.initialize(repeating: nil)
        defer { slots.deallocate() }
        nonisolated(unsafe) let out = slots   // each chunk writes only its own slots
        let chunks = min(answers.count, 2 * ProcessInfo.processInfo.activeProcessorCount)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            for i in (c * answers.count / chunks)..<((c + 1) * answers.count / chunks) {
                let (subject, bytes) = answers[i]
                do {
                    let answer = try RecordAnswer(canonicalBytes: bytes)
                    try answer.verify(dataset: IndexBenchChain.parking, subject: subject, validatorSet: set)
                    if answer.payload == nil { out[i] = "\(subject) answered as absent, but the chain wrote it" }
                } catch {
                    out[i] = "\(subject): the answer does not verify: \(error)"
                }
            }
        }
        return slots.compactMap { $0 }
    }

    /// Runs `body` with `n` open connections to the indexer.
    private func withConnections<T: Sendable>(_ n: Int, _ open: [WireConnection] = [],
                                              _ body: ([WireConnection]) async throws -> T) async throws -> T {
        if open.count >= n { return try await body(open) }
        return try await client.withConnection(host: "127.0.0.1", port: port, expecting: role) { conn in
            try await withConnections(n, open + [conn], body)
        }
    }
}
