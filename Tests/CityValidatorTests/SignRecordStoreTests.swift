import CityConsensus
import CityEncoding
import CityLedger
import CityTestSupport
import Foundation
import Testing
@testable import CityValidator

/// The sign record's slots: each write goes to a slot not holding the newest durable record (nor
/// one being synced), with one fdatasync; a torn newest slot falls back to the previous record (whose message was the last
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

    /// A short record written over a long one leaves no stale bytes behind it: a proposal's block
    /// (with its transactions' payloads) is gone from the file once its slot is reused, so an
    /// erasure that drops a payload from the block log finds it nowhere else here.
    @Test func aReusedSlotKeepsNoStaleBlockBytes() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/consensus.sign"
        let store = try SignRecordStore.open(path: path)
        defer { store.close() }
        try store.markStarted()
        let canary = [UInt8](repeating: 0xC4, count: 48)
        let tx = F.tx("tax-office", F.put("parking.sessions", "bay-1", canary))
        let header = BlockHeader(chainID: F.chainID, height: 1, timeMillis: 1, previousHash: .zero, transactionsRoot: Block.transactionsRoot([tx]),
                                 transactionCount: 1, stateRoot: .zero, validatorSetHash: .zero, proposer: F.proposer)
        let proposal = Proposal(height: 1, round: 0, validRound: nil, value: Block(header: header, transactions: [tx]), proposer: F.proposer,
                                signature: try Signature(bytes: [UInt8](repeating: 1, count: 64)))
        try store.persist(SignRecord(height: 1, round: 0, step: .propose, message: .proposal(proposal), lock: nil))
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))).containsSlice(canary))
        for h: UInt64 in 2...4 { try store.persist(Self.record(height: h)) }   // every slot rewritten with a short vote record
        #expect(![UInt8](try Data(contentsOf: URL(fileURLWithPath: path))).containsSlice(canary))
        #expect(store.record == Self.record(height: 4))
    }

    /// Staged records go to a slot that holds neither the durable record nor one being synced, and
    /// a crash before their sync falls back to the newest durable record.
    @Test func stagingNeverTouchesTheDurableOrSyncingSlot() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/consensus.sign"
        var store = try SignRecordStore.open(path: path)
        try store.markStarted()                                 // slot 0, sequence 1, durable
        #expect(store.durableSequence == 1)
        try store.stage(Self.record(height: 1))                 // slot 1, sequence 2
        #expect(store.sequence == 2 && store.durableSequence == 1, "staged, not durable")
        let first = try #require(store.beginSync())             // covers slot 1
        #expect(first.upTo == 2 && store.beginSync().map { _ in 1 } == nil, "one sync at a time")
        try store.stage(Self.record(height: 2))                 // slot 2: slot 0 is durable, slot 1 syncing
        try store.stage(Self.record(height: 3))                 // slot 2 again (supersedes height 2)
        try first.run()
        store.finishSync(first)
        #expect(store.durableSequence == 2)
        let slot = { (i: Int) throws -> UInt64 in
            let file = try StorageFile(path: path, create: false)
            defer { file.close() }
            return try SignRecordStore.readSlot(file, at: i * SignRecordStore.slotBytes, size: try file.size(), path: path).sequence
        }
        #expect(try [slot(0), slot(1), slot(2)] == [1, 2, 4], "start, height 1, then height 3 over height 2")
        store.close()

        // A crash before height 3's sync tore its slot: the newest durable record (height 1) is restored.
        let fh = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try fh.seek(toOffset: UInt64(2 * SignRecordStore.slotBytes + 30))
        fh.write(Data([0xFF]))
        try fh.close()
        store = try SignRecordStore.open(path: path)
        #expect(store.record == Self.record(height: 1) && store.durableSequence == 2)
        try store.persist(Self.record(height: 4))               // not over slot 1 (durable)
        store.close()
        store = try SignRecordStore.open(path: path)
        #expect(store.record == Self.record(height: 4))
        store.close()
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
