import CityEncoding
import CityLedger
import Testing
@testable import CityValidator

@Suite struct BlockLogTests {
    static let chain = Chain.make(blocks: 4)

    @Test func appendThenReadRoundTrips() throws {
        let dir = TempDir()
        let log = try openLog(dir.file("blocks.log"))
        for r in Self.chain.records.prefix(3) { try log.append(r.block, certificate: r.certificate) }
        #expect(log.lastHeight == 3)
        #expect(log.lastHash == Self.chain.records[2].block.header.hash)
        for h in 1...3 { #expect(try log.record(at: UInt64(h)) == Self.chain.records[h - 1]) }
        #expect(dir.bytes("blocks.log") == logBytes(Array(Self.chain.records.prefix(3))))
    }

    /// Group commit off the actor: appends without a sync are readable at once but durable (what
    /// commit streams serve) only once a sync that covers them returns; one sync covers several.
    @Test func unsyncedAppendsBecomeDurableWithOneSync() throws {
        let dir = TempDir()
        let log = try openLog(dir.file("blocks.log"))
        try log.append(Self.chain.records[0].block, certificate: Self.chain.records[0].certificate)
        #expect(log.durableHeight == 1, "append with its sync")
        try log.append(Self.chain.records[1].block, certificate: Self.chain.records[1].certificate, sync: false)
        #expect(log.lastHeight == 2 && log.durableHeight == 1)
        #expect(try log.record(at: 2) == Self.chain.records[1], "written: readable (block sync may serve it)")
        let sync = try #require(log.beginSync())
        #expect(log.beginSync().map { _ in 1 } == nil, "one sync at a time")
        try log.append(Self.chain.records[2].block, certificate: Self.chain.records[2].certificate, sync: false)
        try sync.run()
        log.finishSync(sync)
        #expect(log.durableHeight == 2, "the sync covered what was written when it began")
        let next = try #require(log.beginSync())
        try next.run()
        log.finishSync(next)
        #expect(log.durableHeight == 3 && log.beginSync().map { _ in 1 } == nil)
    }

    @Test func reopensAfterCleanCloseAndKeepsAppending() throws {
        let dir = TempDir()
        let path = dir.file("blocks.log")
        do {
            let log = try openLog(path)
            try log.append(contentsOf: Array(Self.chain.records.prefix(2)))
            log.close()
        }
        let log = try openLog(path)
        #expect(log.lastHeight == 2)
        #expect(log.lastHash == Self.chain.records[1].block.header.hash)
        try log.append(contentsOf: Array(Self.chain.records[2...]))
        #expect(log.lastHeight == 4)
        #expect(try log.block(at: 4) == Self.chain.records[3].block)
        log.close()
        #expect(try openLog(path).lastHeight == 4)
    }

    @Test func appendRefusesAGapAParentBreakAndAForeignCertificate() throws {
        let dir = TempDir()
        let log = try openLog(dir.file("blocks.log"))
        let r = Self.chain.records
        #expect(throws: BlockStoreError.self) { try log.append(r[1].block, certificate: r[1].certificate) }
        try log.append(r[0].block, certificate: r[0].certificate)
        let fork = Chain.make(blocks: 2, salt: "b").records[1]
        let error = #expect(throws: BlockStoreError.self) { try log.append(fork.block, certificate: fork.certificate) }
        #expect(error?.code == .outOfOrder)
        let wrongCert = #expect(throws: BlockStoreError.self) { try log.append(r[1].block, certificate: r[2].certificate) }
        #expect(wrongCert?.code == .outOfOrder)
        // A refused batch writes nothing.
        #expect(throws: BlockStoreError.self) { try log.append(contentsOf: [r[1], r[3]]) }
        #expect(log.lastHeight == 1)
        try log.append(contentsOf: [r[1], r[2]])
        #expect(log.lastHeight == 3)
    }

    @Test func aSecondOpenerIsRefusedByTheLock() throws {
        let dir = TempDir()
        let path = dir.file("blocks.log")
        let first = try openLog(path)
        let error = #expect(throws: BlockStoreError.self) { try openLog(path) }
        #expect(error?.code == .locked)
        first.close()
        #expect(try openLog(path).lastHeight == 0)
    }

    @Test func aLogOfAnotherChainIsRefused() throws {
        let dir = TempDir()
        let path = dir.file("blocks.log")
        try openLog(path).close()
        let error = #expect(throws: BlockStoreError.self) {
            try BlockLog.open(path: path, chainID: Chain.chainID, genesisHash: Hash32.sha256([1]))
        }
        #expect(error?.code == .wrongChain)
    }

    @Test func readsOutsideTheLogAreNotFound() throws {
        let dir = TempDir()
        let log = try openLog(dir.file("blocks.log"))
        #expect((#expect(throws: BlockStoreError.self) { try log.record(at: 1) })?.code == .notFound)
        #expect((#expect(throws: BlockStoreError.self) { try log.record(at: 0) })?.code == .notFound)
    }

    @Test func headerRoundTripsAndRefusesDamage() throws {
        let header = BlockLogHeader(chainID: Chain.chainID, genesisHash: Chain.genesis.hash)
        let (decoded, length) = try BlockLogHeader.decode(header.bytes + [9, 9], path: "x")
        #expect(decoded == header)
        #expect(length == header.bytes.count)
        for i in 0..<header.bytes.count {
            var bad = header.bytes
            bad[i] ^= 0x01
            let error = #expect(throws: BlockStoreError.self) { try BlockLogHeader.decode(bad, path: "x") }
            #expect(error?.code == .badHeader)
        }
        #expect(throws: BlockStoreError.self) { try BlockLogHeader.decode(Array(header.bytes.dropLast()), path: "x") }
    }
}
