import CityEncoding
import CityLedger
import CityTestSupport
import Testing
@testable import CityValidator

/// Erasure in the block log (docs/STORAGE.md, "Erasure"): a record rewritten in place with a
/// payload dropped keeps its length, checksum, certificate and transactions root; a rewrite a crash
/// interrupted is finished at open from its journal; the list of owed erasures survives restarts.
@Suite struct BlockLogErasureTests {
    static func chain() -> Chain {
        var c = Chain()
        for _ in 0..<4 { c.next(transactions: 2, payloadBytes: 64) }
        return c
    }

    static func item(_ tx: SignedTransaction, height: UInt64) -> PendingErasures.Item {
        guard case let .putRecord(d, s, _) = tx.body.operation else { preconditionFailure("not a put") }
        return PendingErasures.Item(dataset: d, subject: s, height: height)
    }

    @Test func erasingDropsAPayloadInPlaceAndTheBlockStillVerifies() throws {
        let chain = Self.chain()
        let dir = TempDir()
        let log = try openLog(dir.file("blocks.log"))
        try log.append(contentsOf: chain.records)
        let target = chain.records[1].block.transactions[0]
        let payload = try #require(target.payloadBytes)
        let kept = try #require(chain.records[1].block.transactions[1].payloadBytes)
        let before = dir.bytes("blocks.log")
        #expect(before.containsSlice(payload))
        let item = Self.item(target, height: 5)
        #expect(try log.reader(below: 5).heights(where: item.covers) == [2])
        #expect(try log.reader(below: 2).heights(where: item.covers) == [], "below the block that holds it: nothing")
        #expect(try log.erasePayloads(at: 2, where: item.covers) == 1)
        #expect(try log.erasePayloads(at: 2, where: item.covers) == 0, "a second pass finds nothing to drop")
        let after = dir.bytes("blocks.log")
        #expect(after.count == before.count, "rewritten in place, same length")
        #expect(!after.containsSlice(payload) && after.containsSlice(kept), "only the erased record's payload is gone")
        #expect(!dir.exists("blocks.log.erase"), "the journal is removed once the rewrite is synced")
        let record = try log.record(at: 2)
        #expect(record.block.transactions[0].payloadErased && record.block.transactions[0].id == target.id)
        try record.block.checkRoots()
        try record.certificate.verify(header: record.block.header, validatorSet: try LedgerState(genesis: Chain.genesis).currentValidatorSet)
        #expect(try log.reader(below: 5).heights(where: item.covers) == [])
        log.close()
        let reopened = try openLog(dir.file("blocks.log"))
        #expect(reopened.lastHeight == 4)
        #expect(try reopened.record(at: 2) == record)
        #expect(try reopened.record(at: 3) == chain.records[2])
    }

    @Test func aRewriteACrashInterruptedIsFinishedAtOpen() throws {
        let chain = Self.chain()
        let dir = TempDir()
        let path = dir.file("blocks.log")
        do {
            let log = try openLog(path)
            try log.append(contentsOf: chain.records)
            log.close()
        }
        // The crash came after the journal was written, before the overwrite.
        var erased = chain.records[2]
        erased.block.transactions[1] = erased.block.transactions[1].erasingPayload
        let framedOld = chain.records[2].framedBytes
        let offset = dir.bytes("blocks.log").count - chain.records[3].framedBytes.count - framedOld.count
        let framed = try #require(erased.framed(paddedTo: framedOld.count - BlockRecord.prefixBytes))
        dir.write(EraseJournal(offset: offset, record: framed).bytes, "blocks.log.erase")
        let log = try openLog(path)
        #expect(try log.record(at: 3) == erased)
        #expect(!dir.exists("blocks.log.erase"))
        #expect(!dir.bytes("blocks.log").containsSlice(try #require(chain.records[2].block.transactions[1].payloadBytes)))
        log.close()
        // A damaged journal is refused, naming the file.
        var bad = EraseJournal(offset: offset, record: framed).bytes
        bad[bad.count - 1] ^= 1
        dir.write(bad, "blocks.log.erase")
        do { _ = try openLog(path); Issue.record("a damaged journal was applied") } catch {
            #expect(error.code == .corruptRecord && error.description.contains("blocks.log.erase"))
        }
    }

    @Test func zeroPaddingIsTheOnlyTrailerARecordMayHave() throws {
        let record = Self.chain().records[0]
        let padded = try #require(record.framed(paddedTo: record.payloadBytes.count + 7))
        #expect(try BlockRecord.decode(payload: padded[BlockRecord.prefixBytes...]) == record)
        var dirty = padded
        dirty[dirty.count - 3] = 1
        #expect(throws: CodecError.self) { try BlockRecord.decode(payload: dirty[BlockRecord.prefixBytes...]) }
        #expect(record.framed(paddedTo: record.payloadBytes.count - 1) == nil)
    }

    @Test func theListOfOwedErasuresSurvivesARestart() throws {
        let dir = TempDir()
        let path = dir.file("blocks.log.erasures")
        #expect(try PendingErasures.load(path).items.isEmpty)
        let tx = Self.chain().records[0].block.transactions[0]
        let list = PendingErasures(items: [Self.item(tx, height: 9), Self.item(tx, height: 12)])
        try list.save(path)
        #expect(try PendingErasures.load(path) == list)
        var bytes = dir.bytes("blocks.log.erasures")
        bytes[10] ^= 0xff
        dir.write(bytes, "blocks.log.erasures")
        #expect(throws: BlockStoreError.self) { try PendingErasures.load(path) }
        try PendingErasures().save(path)
        #expect(!dir.exists("blocks.log.erasures"), "an empty list leaves no file")
        #expect(list.items[0].covers(tx) && !list.items[0].covers(Self.chain().records[0].block.transactions[1]))
    }
}
