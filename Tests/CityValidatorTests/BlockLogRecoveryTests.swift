import CityEncoding
import CityLedger
import Testing
@testable import CityValidator

@Suite struct BlockLogRecoveryTests {
    static let chain = Chain.make(blocks: 4)
    static var records: [BlockRecord] { chain.records }
    /// Byte offset of each record in a log of all four.
    static var offsets: [Int] {
        var o = BlockLogHeader(chainID: Chain.chainID, genesisHash: Chain.genesis.hash).bytes.count
        return records.map { r in defer { o += r.framedBytes.count }; return o }
    }

    @Test func aTornLastRecordIsCutAtEveryByteOffset() throws {
        let dir = TempDir()
        let full = logBytes(Self.records)
        let lastStart = Self.offsets[3]
        for cut in lastStart..<full.count {
            dir.write(Array(full[0..<cut]), "blocks.log")
            let log = try openLog(dir.file("blocks.log"))
            #expect(log.lastHeight == 3, "cut at \(cut)")
            log.close()
            #expect(dir.bytes("blocks.log").count == lastStart, "cut at \(cut)")
        }
    }

    @Test func aLastRecordFailingItsChecksumIsCut() throws {
        let dir = TempDir()
        let full = logBytes(Self.records)
        for i in stride(from: Self.offsets[3], to: full.count, by: 97) {
            var bad = full
            bad[i] ^= 0x40
            dir.write(bad, "blocks.log")
            let log = try openLog(dir.file("blocks.log"))
            #expect(log.lastHeight == 3, "flip at \(i)")
            log.close()
        }
    }

    @Test func zerosAfterTheLastRecordAreCut() throws {
        let dir = TempDir()
        dir.write(logBytes(Self.records) + [UInt8](repeating: 0, count: 4096), "blocks.log")
        let log = try openLog(dir.file("blocks.log"))
        #expect(log.lastHeight == 4)
        log.close()
        #expect(dir.bytes("blocks.log") == logBytes(Self.records))
    }

    @Test func oneFlippedByteInAMiddleRecordRefusesToOpen() throws {
        let dir = TempDir()
        let full = logBytes(Self.records)
        let start = Self.offsets[1]
        for i in [start, start + 3, start + 5, start + 8, start + 200, Self.offsets[2] - 1] {
            var bad = full
            bad[i] ^= 0x01
            dir.write(bad, "blocks.log")
            let error = #expect(throws: BlockStoreError.self) { try openLog(dir.file("blocks.log")) }
            #expect(error?.code == .corruptRecord, "flip at \(i)")
            #expect(error?.offset == start)
            #expect(error?.height == 2)
            #expect(error?.description.contains("byte offset \(start)") == true)
            #expect(error?.description.contains("blocks.log") == true)
            #expect(dir.bytes("blocks.log") == bad, "a refused log is left untouched")
        }
    }

    @Test func aHeightGapIsRefused() throws {
        let dir = TempDir()
        let r = Self.records
        dir.write(logBytes([r[0], r[2], r[3]]), "blocks.log")
        let error = #expect(throws: BlockStoreError.self) { try openLog(dir.file("blocks.log")) }
        #expect(error?.code == .chainBreak)
        #expect(error?.offset == Self.offsets[1])
        #expect(error?.height == 2)
    }

    @Test func aParentHashBreakIsRefused() throws {
        let dir = TempDir()
        let fork = Chain.make(blocks: 2, salt: "b").records
        dir.write(logBytes([Self.records[0], fork[1]]), "blocks.log")
        let error = #expect(throws: BlockStoreError.self) { try openLog(dir.file("blocks.log")) }
        #expect(error?.code == .chainBreak)
        #expect(error?.description.contains("names parent") == true)
    }

    @Test func theScanIsPureOverAByteArray() throws {
        let full = logBytes(Self.records)
        let clean = try BlockLogScan.scan(full, path: "mem", chainID: Chain.chainID, genesisHash: Chain.genesis.hash)
        #expect(clean.recordOffsets == Self.offsets)
        #expect(clean.tornBytes == 0)
        #expect(clean.tip.lastHash == Self.records[3].block.header.hash)
        let torn = try BlockLogScan.scan(Array(full.dropLast(10)), path: "mem", chainID: Chain.chainID, genesisHash: Chain.genesis.hash)
        #expect(torn.validEnd == Self.offsets[3])
        #expect(torn.tornBytes == full.count - 10 - Self.offsets[3])
        #expect(torn.tip.lastHeight == 3)
    }
}
