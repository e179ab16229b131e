import CityEncoding
import CityLedger
import Foundation
import Glibc
import Testing
@testable import CityValidator

@Suite struct SnapshotStoreTests {
    /// The test chain's state snapshot after each of blocks 1...n (index i holds height i + 1).
    static func snapshots(_ n: Int) -> [LedgerSnapshot] {
        var chain = Chain()
        return (0..<n).map { _ in
            chain.next(transactions: 3)
            return chain.state.snapshot()
        }
    }

    static func open(_ dir: TempDir, keep: Int = 2, logger: LogRecorder = LogRecorder()) throws -> SnapshotStore {
        try SnapshotStore.open(directory: dir.file("snapshots"), keep: keep, logger: logger.logger)
    }

    /// The `.snap` and `.tmp` names in the store's directory, sorted.
    static func names(_ dir: TempDir) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.file("snapshots"))) ?? []).sorted()
    }

    @Test func aWrittenSnapshotReadsBackEqualAfterReopening() throws {
        let snaps = Self.snapshots(2)
        let dir = TempDir()
        try Self.open(dir).write(snaps[1])
        let store = try Self.open(dir)
        #expect(store.heights == [2])
        let loaded = try #require(store.newest(atOrBelow: .max))
        #expect(loaded == snaps[1])
        #expect(try LedgerState(snapshot: loaded).stateRoot == snaps[1].stateRoot)
        #expect(Self.names(dir) == ["state-00000000000000000002.snap"])
    }

    @Test func theFileIsHeaderBodyAndSHA256() throws {
        let snap = Self.snapshots(1)[0]
        let dir = TempDir()
        let store = try Self.open(dir)
        try store.write(snap)
        let bytes = [UInt8](FileManager.default.contents(atPath: store.path(forHeight: 1))!)
        let body = snap.canonicalBytes
        var header = CanonicalWriter()
        header.fixed(Array("CCSNAP01".utf8))
        header.u32(1)
        header.u64(1)
        header.encode(snap.stateRoot)
        header.u64(UInt64(body.count))
        header.u32(RecordChecksum.of(header.bytes))
        #expect(header.bytes.count == 64)
        let content = header.bytes + body
        #expect(bytes == content + Hash32.sha256(content).bytes)
    }

    @Test func aCutNewestSnapshotFallsBackToTheOlderOneWithAWarning() throws {
        let snaps = Self.snapshots(2)
        let size = try SnapshotFile.encode(snaps[1]).count
        for kept in [0, 1, 8, 63, 64, 65, 200, size / 2, size - 32, size - 1] {
            let dir = TempDir()
            let store = try Self.open(dir)
            try store.write(snaps[0])
            try store.write(snaps[1])
            #expect(truncate(store.path(forHeight: 2), off_t(kept)) == 0)
            let log = LogRecorder()
            let reopened = try Self.open(dir, logger: log)
            #expect(reopened.newest(atOrBelow: .max) == snaps[0], "cut to \(kept) of \(size) bytes")
            #expect(log.warnings.count == 1)
            #expect(log.warnings.first?.metadata["chain.height"] == "2")
        }
    }

    @Test func aDamagedByteAnywhereFallsBackToTheOlderOne() throws {
        let snaps = Self.snapshots(2)
        let dir = TempDir()
        let store = try Self.open(dir)
        try store.write(snaps[0])
        try store.write(snaps[1])
        let path = store.path(forHeight: 2)
        let good = [UInt8](FileManager.default.contents(atPath: path)!)
        // Every header byte, then a spread of body and digest bytes.
        for offset in Array(0..<64) + Array(stride(from: 64, to: good.count, by: 97)) + [good.count - 1] {
            var bad = good
            bad[offset] ^= 0x20
            _ = FileManager.default.createFile(atPath: path, contents: Data(bad))
            #expect(store.newest(atOrBelow: .max) == snaps[0], "byte \(offset) flipped")
        }
    }

    @Test func onlyTheNewestKeepFilesStay() throws {
        let snaps = Self.snapshots(5)
        for keep in [1, 2, 3] {
            let dir = TempDir()
            let store = try Self.open(dir, keep: keep)
            for s in snaps { try store.write(s) }
            let expected = Array(UInt64(6 - keep)...5)
            #expect(store.heights == expected)
            #expect(Self.names(dir) == expected.map(SnapshotStore.fileName(forHeight:)))
            #expect(try Self.open(dir, keep: keep).heights == expected)
        }
    }

    @Test func aLeftoverTempFileIsIgnoredThenRemovedByTheNextWrite() throws {
        let snaps = Self.snapshots(3)
        let dir = TempDir()
        let store = try Self.open(dir)
        try store.write(snaps[0])
        // A complete, synced snapshot of height 2 that never reached its rename.
        try store.write(snaps[1], crash: .beforeRename)
        #expect(Self.names(dir).contains("state-00000000000000000002.snap.tmp"))
        let reopened = try Self.open(dir)
        #expect(reopened.heights == [1])
        #expect(reopened.newest(atOrBelow: .max) == snaps[0])
        try reopened.write(snaps[2])
        #expect(Self.names(dir) == ["state-00000000000000000001.snap", "state-00000000000000000003.snap"])
    }

    @Test func aCrashAtAnyPointOfAWriteLeavesAUsableSnapshot() throws {
        let snaps = Self.snapshots(2)
        for crash in AtomicFile.CrashPoint.allCases {
            let dir = TempDir()
            let store = try Self.open(dir)
            try store.write(snaps[0])
            try store.write(snaps[1], crash: crash)
            // Before the rename the old snapshot is the newest; after it, the new one is whole.
            let expected = crash == .beforeDirectorySync ? snaps[1] : snaps[0]
            #expect(try Self.open(dir).newest(atOrBelow: .max) == expected, "\(crash)")
        }
    }

    @Test func newestSkipsSnapshotsAboveTheHeightAndRefusedOnes() throws {
        let snaps = Self.snapshots(3)
        let dir = TempDir()
        let store = try Self.open(dir, keep: 3)
        for s in snaps { try store.write(s) }
        #expect(store.newest(atOrBelow: 2) == snaps[1])
        #expect(store.newest(atOrBelow: 0) == nil)
        let log = LogRecorder()
        let reopened = try Self.open(dir, keep: 3, logger: log)
        #expect(reopened.newest(atOrBelow: .max) { $0.height == 3 ? "not this one" : nil } == snaps[1])
        #expect(log.warnings.first?.metadata["storage.reason"]?.description.contains("not this one") == true)
        #expect(reopened.newest(atOrBelow: .max) { _ in "none" } == nil)
    }

    @Test func aFileNamedForAnotherHeightIsNotUsed() throws {
        let snaps = Self.snapshots(2)
        let dir = TempDir()
        let store = try Self.open(dir)
        try store.write(snaps[0])
        try store.write(snaps[1])
        // The file named for height 1 now holds height 2: asked for ≤ 1, it must not answer 2.
        try FileManager.default.removeItem(atPath: store.path(forHeight: 1))
        try FileManager.default.copyItem(atPath: store.path(forHeight: 2), toPath: store.path(forHeight: 1))
        let log = LogRecorder()
        let reopened = try Self.open(dir, logger: log)
        #expect(reopened.heights == [1, 2])
        #expect(reopened.newest(atOrBelow: 1) == nil)
        #expect(log.warnings.first?.metadata["storage.reason"]?.description.contains("named for height 1") == true)
        #expect(reopened.newest(atOrBelow: 2) == snaps[1])
    }

    @Test func fileNamesSortByHeightAndOnlyExactNamesCount() {
        #expect(SnapshotStore.fileName(forHeight: 42) == "state-00000000000000000042.snap")
        #expect(SnapshotStore.fileName(forHeight: .max) == "state-18446744073709551615.snap")
        #expect(SnapshotStore.height(fromFileName: "state-00000000000000000042.snap") == 42)
        for name in ["state-00000000000000000042.snap.tmp", "state-42.snap", "state-0000000000000000004x.snap",
                     "blocks.log", "state-99999999999999999999.snap"] {
            #expect(SnapshotStore.height(fromFileName: name) == nil, "\(name)")
        }
    }
}
