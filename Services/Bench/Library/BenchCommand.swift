import CityLedger
import CityNode
import ArgumentParser
import Crypto
import Dispatch
import Foundation
import Synchronization

/// The `citychain-bench` command: measured figures for docs/BENCHMARKS.md, each printed beside this
/// machine's limit. A measuring harness like the tests, not a service: `index` and `feed` run a real
/// indexer in this process (docs/ARCHITECTURE.md, "Services/Bench").
package struct BenchCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "citychain-bench", abstract: "Measure this machine's limits and CityChain's rates.",
        subcommands: [Crypto.self, LoadCommand.self, ChaosLoadCommand.self, ChainDumpCommand.self, CatchUpCommand.self, IndexBenchCommand.self, GatewayBenchCommand.self, FeedBenchCommand.self, IndexQueryClientCommand.self, SlowClientsBenchCommand.self, StateSyncBenchCommand.self])

    package init() {}

    struct Crypto: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ed25519 verify rate (1 and 2 threads) beside transaction encode+hash+sign and decode+verify rates.")

        @Option(help: "Seconds per measurement.") var seconds = 2.0
        @Option(help: "Payload bytes of the benchmark transaction.") var payloadBytes = 200

        func run() throws {
            let cores = ProcessInfo.processInfo.activeProcessorCount
            print("machine: \(cores) cores; each figure runs \(seconds) s")
            let raw1 = RateMeter.perSecond(seconds: seconds, threads: 1, RawVerify())
            let raw2 = RateMeter.perSecond(seconds: seconds, threads: 2, RawVerify())
            print(String(format: "limit  ed25519 verify (raw, 32-byte message)   1 thread: %9.0f /s   2 threads: %9.0f /s", raw1, raw2))
            for keys in [1, 50] {
                let work = TableVerify(keys: keys)
                let table1 = RateMeter.perSecond(seconds: seconds, threads: 1, work)
                let table2 = RateMeter.perSecond(seconds: seconds, threads: 2, work)
                print(String(format: "ours   ed25519 verify (key tables, %2d key%@, 32-byte message)   1 thread: %9.0f /s   2 threads: %9.0f /s   (%.2fx the limit)",
                             keys, keys == 1 ? " " : "s", table1, table2, table2 / raw2))
            }
            try TransactionBench(payloadBytes: payloadBytes, seconds: seconds).run(rawVerify1: raw1, rawVerify2: raw2)
        }
    }
}

/// Work the meter repeats: one unit per call.
protocol BenchWork: Sendable {
    /// Does one unit of work.
    func once()
}

/// A raw Ed25519 verification of a 32-byte message.
/// `@unchecked`: swift-crypto 3's keys are immutable but not marked Sendable; threads only read them.
struct RawVerify: BenchWork, @unchecked Sendable {
    let key = Curve25519.Signing.PrivateKey()
    let message = [UInt8](repeating: 7, count: 32)
    let signature: Data
    init() { signature = try! key.signature(for: message) }
    func once() { precondition(key.publicKey.isValidSignature(signature, for: message)) }
}

/// The same verification through the keys' precomputed tables (`Ed25519KeyTable`), as the ledger
/// does for every key it has seen before; with many keys, as a validator has, the signatures
/// come from them in a shuffled order so that the tables compete for the caches as they do there.
final class TableVerify: BenchWork, @unchecked Sendable {
    let tables: [Ed25519KeyTable]
    let signatures: [[UInt8]]
    let order: [Int]
    let message = [UInt8](repeating: 7, count: 32)
    let next = Atomic<Int>(0)

    init(keys: Int) {
        let privateKeys = (0..<keys).map { _ in Curve25519.Signing.PrivateKey() }
        tables = privateKeys.map { Ed25519KeyTable(key: Array($0.publicKey.rawRepresentation)) }
        signatures = privateKeys.map { [message] in Array(try! $0.signature(for: message)) }
        order = (0..<4096).map { _ in Int.random(in: 0..<keys) }
    }

    func once() {
        let i = order[next.add(1, ordering: .relaxed).oldValue & 4095]
        precondition(tables[i].isValidSignature(signatures[i], for: message))
    }
}

/// Runs work on N threads for a fixed time and reports units per second (all threads together).
enum RateMeter {
    /// Units of `work` per second across `threads` threads during `seconds`.
    static func perSecond(seconds: Double, threads: Int, _ work: some BenchWork) -> Double {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: threads)
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        let start = DispatchTime.now().uptimeNanoseconds
        let deadline = start + UInt64(seconds * 1e9)
        nonisolated(unsafe) let slots = counts   // each thread writes only its own slot
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            var n = 0
            while true {
                for _ in 0..<32 { work.once() }   // check the clock every 32 units, bounded by the deadline
                n += 32
                if DispatchTime.now().uptimeNanoseconds >= deadline { break }
            }
            slots[t] = n
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(counts.reduce(0, +)) / elapsed
    }
}

extension BenchCommand {
    /// `CITYCHAIN_EXECUTOR=nio`: the bench's in-process services run their jobs on NIO's event
    /// loops, as the service processes do with the same variable (`ConcurrencyExecutor`).
    package static func installExecutor() { ConcurrencyExecutor.installFromEnvironment() }
}
