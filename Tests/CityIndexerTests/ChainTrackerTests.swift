import CityChainAPI
import CityEncoding
import CityLedger
import Testing
@testable import CityIndexer

/// The indexer's block checks, without sockets: each kind of bad block is refused and leaves the
/// tracker where it was.
@Suite struct ChainTrackerTests {
    static func chain(_ n: Int) -> IndexerChain {
        var c = IndexerChain()
        for i in 0..<n { c.block([c.parking(i), c.parking(i + 1000)]) }
        return c
    }

    @Test func acceptsTheChainInOrder() throws {
        let c = Self.chain(5)
        var t = try ChainTracker(genesis: F.genesis)
        for b in c.blocks { try t.accept(b) }
        #expect(t.height == 5)
        #expect(t.lastHash == c.blocks[4].block.header.hash)
        // Round trip of the persisted form.
        #expect(try ChainTracker(canonicalBytes: t.canonicalBytes) == t)
    }

    static func refused(_ bad: CertifiedBlock, after good: [CertifiedBlock], _ fragment: String) throws {
        var t = try ChainTracker(genesis: F.genesis)
        for b in good { try t.accept(b) }
        let before = t
        do {
            try t.accept(bad)
            Issue.record("a bad block was accepted")
        } catch {
            #expect(error.code == .refusedBlock)
            #expect(error.message.contains(fragment), "\(error.message)")
        }
        #expect(t == before)
    }

    @Test func refusesAForgedCertificate() throws {
        let c = Self.chain(3)
        var bad = c.blocks[2]
        var sigs = bad.certificate.signatures
        var raw = sigs[0].signature.bytes
        raw[5] ^= 0xFF
        sigs[0] = CommitSignature(validator: sigs[0].validator, signature: try Signature(bytes: raw))
        bad.certificate = CommitCertificate(height: bad.certificate.height, round: bad.certificate.round, blockHash: bad.certificate.blockHash,
                                            signatures: sigs)
        try Self.refused(bad, after: Array(c.blocks.prefix(2)), "block 3")
    }

    @Test func refusesAShortCertificate() throws {
        let c = Self.chain(3)
        var bad = c.blocks[2]
        bad.certificate = IndexerChain.certify(bad.block.header, signers: 2)
        try Self.refused(bad, after: Array(c.blocks.prefix(2)), "block 3")
    }

    @Test func refusesAWrongParent() throws {
        let c = Self.chain(3)
        var bad = c.blocks[2]
        bad.block.header.previousHash = Hash32.sha256([1, 2, 3])
        bad.certificate = IndexerChain.certify(bad.block.header)  // a quorum signed it, but it does not follow block 2
        try Self.refused(bad, after: Array(c.blocks.prefix(2)), "parent")
    }

    @Test func refusesAWrongTransactionsRoot() throws {
        let c = Self.chain(3)
        var bad = c.blocks[2]
        bad.block.transactions.removeLast()
        try Self.refused(bad, after: Array(c.blocks.prefix(2)), "block 3")
        var swapped = c.blocks[2]
        swapped.block.transactions.reverse()
        try Self.refused(swapped, after: Array(c.blocks.prefix(2)), "block 3")
    }

    @Test func refusesAGapAndAnotherChain() throws {
        let c = Self.chain(3)
        try Self.refused(c.blocks[2], after: [c.blocks[0]], "3 arrived but 2 is next")
        var other = c.blocks[0]
        other.block.header.chainID = "another-chain"
        try Self.refused(other, after: [], "another-chain")
    }
}
