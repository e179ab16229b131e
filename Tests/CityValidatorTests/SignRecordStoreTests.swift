import CityConsensus
import CityEncoding
import CityLedger
import Foundation
import Testing
@testable import CityValidator

/// The sign record's two slots: each write goes to the slot not holding the newest record with one
/// fdatasync; a torn newest slot falls back to the previous record (whose message was the last
/// sent); no valid slot refuses; the older single-record format is converted at open.
@Suite struct SignRecordStoreTests {
    typealias F = MempoolFixture

    static func record(height: UInt64, step: ConsensusStep = .prevote) -> SignRecord<Block> {
        SignRecord(height: height, round: 0, step: step, message: .vote(F.vote(nil, height: height, key: F.validatorKeys[0])), lock: nil)
    }

    static func directory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sign-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func theNewestSlotWinsAndATornOneFallsBack() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/consensus.sign"
        var store = try SignRecordStore.open(path: path)
        #expect(!store.exists && store.record == nil)
        try store.markStarted()
        for h: UInt64 in 1...3 { try store.persist(Self.record(height: h)) }   // slots: 0 ← empty, 1 ← h1, 0 ← h2, 1 ← h3
        store.close()
        store = try SignRecordStore.open(path: path)
        #expect(store.record == Self.record(height: 3) && store.exists)
        store.close()

        // Tear the newest slot (slot 1, offset slotBytes): the previous record is restored.
        let fh = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try fh.seek(toOffset: UInt64(SignRecordStore.slotBytes + 30))
        fh.write(Data([0xFF, 0xEE]))
        try fh.close()
        store = try SignRecordStore.open(path: path)
        #expect(store.record == Self.record(height: 2), "a torn write of the newest slot: its message was never sent")
        try store.persist(Self.record(height: 4))   // goes to the torn slot, not over the good one
        store.close()
        store = try SignRecordStore.open(path: path)
        #expect(store.record == Self.record(height: 4))
        store.close()

        // Both slots damaged: refused.
        let both = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        for offset in [30, SignRecordStore.slotBytes + 30] {
            try both.seek(toOffset: UInt64(offset))
            both.write(Data([0xAA]))
        }
        try both.close()
        #expect { try SignRecordStore.open(path: path) } throws: { "\($0)".contains("no slot of the sign record is valid") }
    }

    @Test func theOlderFormatIsConvertedAtOpen() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/consensus.sign"
        let body = Self.record(height: 7, step: .precommit).canonicalBytes
        var w = CanonicalWriter(capacity: body.count + 24)
        w.fixed(Array("CCSIGNR2".utf8))
        w.u32(1)
        w.bytes(body)
        w.u32(RecordChecksum.of(w.bytes))
        try Data(w.bytes).write(to: URL(fileURLWithPath: path))
        var store = try SignRecordStore.open(path: path)
        #expect(store.record == Self.record(height: 7, step: .precommit))
        try store.persist(Self.record(height: 8))
        store.close()
        store = try SignRecordStore.open(path: path)
        #expect(store.record == Self.record(height: 8))
        store.close()
    }
}
