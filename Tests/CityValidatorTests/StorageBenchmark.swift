import CityEncoding
import CityLedger
import Foundation
import Testing
@testable import CityValidator

/// Storage figures for docs/STORAGE.md, not a pass/fail test: runs only with
/// `CITYCHAIN_STORAGE_BENCH=<blocks>` set (blocks of 1,000 signed 200-byte transactions), e.g.
/// `CITYCHAIN_STORAGE_BENCH=100 swift test -c release --filter StorageBenchmark`.
@Suite struct StorageBenchmark {
    static let blocks = Int(ProcessInfo.processInfo.environment["CITYCHAIN_STORAGE_BENCH"] ?? "") ?? 0

    @Test(.enabled(if: blocks > 0)) func appendOpenAndReplay() throws {
        let clock = ContinuousClock()
        var chain = Chain()
        let built = clock.measure { for _ in 0..<Self.blocks { chain.next(transactions: 1000, payloadBytes: 200) } }
        let txs = Self.blocks * 1000
        let dir = TempDir()
        let path = dir.file("blocks.log")
        let log = try openLog(path)
        let appended = try clock.measure { for r in chain.records { try log.append(r.block, certificate: r.certificate) } }
        log.close()
        let bytes = dir.bytes("blocks.log").count
        var reopened: BlockLog?
        let opened = try clock.measure { reopened = try openLog(path) }
        let read = try clock.measure {
            for h in 1...reopened!.lastHeight { _ = try reopened!.record(at: h) }
        }
        var root = Hash32.zero
        let replayed = try clock.measure { root = try ChainRecovery.rebuild(genesis: Chain.genesis, log: reopened!).state.stateRoot }
        #expect(root == chain.state.stateRoot)
        func s(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        print("""
            storage bench: \(Self.blocks) blocks x 1000 txs = \(txs) txs, log \(bytes) bytes (\(bytes / txs) bytes/tx)
              build (sign + apply, not storage): \(s(built)) s
              append with fdatasync per block: \(s(appended)) s = \(Double(Self.blocks) / s(appended)) blocks/s = \(Double(txs) / s(appended)) tx/s, \(Double(bytes) / s(appended) / 1e6) MB/s
              open (lock + scan + index): \(s(opened)) s = \(Double(txs) / s(opened)) tx/s
              read every record (pread + checksum + decode): \(s(read)) s = \(Double(txs) / s(read)) tx/s
              replay (decode + verify certs + apply + roots): \(s(replayed)) s = \(Double(txs) / s(replayed)) tx/s
            """)
    }
}
