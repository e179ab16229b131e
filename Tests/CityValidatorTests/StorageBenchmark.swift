import CityEncoding
import CityLedger
import Foundation
import Glibc
import Testing
@testable import CityValidator

/// Storage figures for docs/STORAGE.md, not a pass/fail test: runs only with
/// `CITYCHAIN_STORAGE_BENCH=<blocks>` set (blocks of 1,000 signed 200-byte transactions), e.g.
/// `CITYCHAIN_STORAGE_BENCH=100 swift test -c release -Xswiftc -enable-testing --filter StorageBenchmark`.
/// `CITYCHAIN_STORAGE_BENCH_SIGS=1` adds a replay that re-verifies every transaction signature
/// (about 5 minutes per million transactions).
@Suite struct StorageBenchmark {
    static let blocks = Int(ProcessInfo.processInfo.environment["CITYCHAIN_STORAGE_BENCH"] ?? "") ?? 0
    static let replaySignatures = ProcessInfo.processInfo.environment["CITYCHAIN_STORAGE_BENCH_SIGS"] == "1"
    /// Blocks after the snapshot that the restart replays (10,000 transactions).
    static let blocksAfterSnapshot = 10

    @Test(.enabled(if: blocks > 0)) func appendOpenReplayAndRestart() throws {
        let clock = ContinuousClock()
        let snapshotHeight = UInt64(max(1, Self.blocks - Self.blocksAfterSnapshot))
        var chain = Chain()
        var snapshot: LedgerSnapshot?
        var taken = Duration.zero
        let built = clock.measure {
            for _ in 0..<Self.blocks {
                let h = chain.state.height + 1
                // The builder signed these itself: applying them need not verify the signatures again.
                let txs = (0..<1000).map { _ in chain.transaction(payloadBytes: 200, atHeight: h) }
                chain.next(block: txs, signaturesVerified: true)
                if h == snapshotHeight { taken = clock.measure { snapshot = chain.state.snapshot() } }
            }
        }
        let txs = Self.blocks * 1000
        let dir = TempDir()
        let path = dir.file("blocks.log")
        let log = try openLog(path)
        let appended = try clock.measure { for r in chain.records { try log.append(r.block, certificate: r.certificate) } }
        log.close()
        let bytes = dir.bytes("blocks.log").count
        var reopened: BlockLog?
        let opened = try clock.measure { reopened = try openLog(path) }
        let read = try clock.measure { for h in 1...reopened!.lastHeight { _ = try reopened!.record(at: h) } }
        var root = Hash32.zero
        let certified = try timed { root = try ChainRecovery.rebuild(genesis: Chain.genesis, log: reopened!).state.stateRoot }
        #expect(root == chain.state.stateRoot)
        var verified: (wall: Double, cpu: Double, text: String)?
        if Self.replaySignatures {
            verified = try timed {
                root = try ChainRecovery.rebuild(genesis: Chain.genesis, log: reopened!, verifyTransactionSignatures: true).state.stateRoot
            }
            #expect(root == chain.state.stateRoot)
        }
        reopened!.close()
        let snap = try snapshotFigures(snapshot!, dir: dir, logPath: path, expectedRoot: chain.state.stateRoot)
        print("""
            storage bench: \(Self.blocks) blocks x 1000 txs = \(txs) txs, log \(bytes) bytes (\(bytes / txs) bytes/tx)
              build (sign + apply, not storage): \(s(built)) s
              append with fdatasync per block: \(s(appended)) s = \(Double(Self.blocks) / s(appended)) blocks/s = \(Double(txs) / s(appended)) tx/s, \(Double(bytes) / s(appended) / 1e6) MB/s
              open (lock + scan + index): \(s(opened)) s = \(Double(txs) / s(opened)) tx/s
              read every record (pread + checksum + decode): \(s(read)) s = \(Double(txs) / s(read)) tx/s
              certified replay from genesis (decode + verify certs + apply + roots, no tx signatures): \(certified.text) = \(Double(txs) / certified.wall) tx/s (\(Double(txs) / certified.cpu) tx/s of cpu)
            """)
        if let verified {
            print("  replay from genesis re-verifying tx signatures: \(verified.text) = \(Double(txs) / verified.wall) tx/s")
        }
        print("  snapshot at height \(snapshotHeight): LedgerState.snapshot() \(s(taken)) s, " + snap)
    }

    /// Writes `snapshot`, loads it, then restarts four times (first with the log and the snapshot
    /// evicted from the page cache, then warm): open the log, open the store, rebuild from the
    /// snapshot and replay the blocks after it. Returns the figures.
    func snapshotFigures(_ snapshot: LedgerSnapshot, dir: TempDir, logPath: String, expectedRoot: Hash32) throws -> String {
        let store = try SnapshotStore.open(directory: dir.file("snapshots"), logger: quietLogger)
        var fileBytes = 0
        let encoded = try timed { fileBytes = try SnapshotFile.encode(snapshot).count }
        let written = try timed { try store.write(snapshot) }
        let loaded = try timed { _ = try LedgerState(snapshot: try #require(store.newest(atOrBelow: snapshot.height))) }
        func restart() throws -> String {
            var outcome: ChainRecovery.Outcome?
            let took = try timed {
                let log = try openLog(logPath)
                let store = try SnapshotStore.open(directory: dir.file("snapshots"), logger: quietLogger)
                outcome = try ChainRecovery.rebuild(genesis: Chain.genesis, log: log, snapshots: store, logger: quietLogger)
                log.close()
            }
            #expect(outcome?.snapshotHeight == snapshot.height)
            #expect(outcome?.state.stateRoot == expectedRoot)
            return took.text
        }
        evictFromPageCache(logPath)
        evictFromPageCache(store.path(forHeight: snapshot.height))
        let cold = try restart()
        let warm = try (0..<3).map { _ in try restart() }
        return """
            \(snapshot.entries.count) entries, \(snapshot.replayIDs.count) replay ids, file \(fileBytes) bytes
              encode: \(encoded.text); write (encode + tmp + fdatasync + rename + dir fsync + prune): \(written.text) = \(Double(fileBytes) / written.wall / 1e6) MB/s
              load (read + SHA-256 + decode + LedgerState(snapshot:)): \(loaded.text)
              restart (open log + open store + load snapshot + replay \(Self.blocksAfterSnapshot) blocks), files evicted from the page cache: \(cold)
              restart, page cache warm, 3 runs: \(warm.joined(separator: ", "))
            """
    }

    /// Drops the file's clean pages from the page cache so the next read goes to the disk (only
    /// this file's: the box is shared, so no global drop_caches).
    func evictFromPageCache(_ path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = fdatasync(fd)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
    }
}

private func s(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

/// Runs `body` and returns its wall time and this thread's CPU time, in seconds: with other builds
/// on the box, wall time overstates what a single-threaded phase costs on a core of its own.
private func timed(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double, text: String) {
    let cpu0 = threadCPUSeconds()
    let wall = s(try ContinuousClock().measure(body))
    let cpu = threadCPUSeconds() - cpu0
    return (wall, cpu, "\(wall) s (cpu \(cpu) s)")
}

/// CPU time this thread has used, in seconds.
private func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
