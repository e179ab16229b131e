import CityConsensus
import CityEncoding
import CityLedger
import Testing
@testable import CityChainAPI

/// The hex vectors of docs/PROTOCOL.md, Part 6: the same bytes, so the document stays true.
@Suite struct APIVectorTests {
    static let hash = Hash32.sha256(Array("block 7".utf8))

    @Test(arguments: [
        ("BlocksRequest", BlocksRequest(from: 7, maxCount: 64).canonicalBytes, "000000000000000700000040"),
        ("CommitsRequest", CommitsRequest(from: 1).canonicalBytes, "0000000000000001"),
        ("TxStatus.pending", TxStatus.pending.canonicalBytes, "01"),
        ("GossipItem.height", GossipItem.height(42).canonicalBytes, "04000000000000002a"),
        ("ProposalTransactions([])", ProposalTransactions(transactions: []).canonicalBytes, "00000000"),
        ("GossipSubscribe", GossipSubscribe(name: "v-1", advertise: "127.0.0.1:7101", height: 3).canonicalBytes,
         "00000003762d310000000e3132372e302e302e313a373130310000000000000003"),
    ])
    func vector(name: String, bytes: [UInt8], hex: String) {
        #expect(Hex.encode(bytes) == hex, "\(name)")
    }

    @Test func committedStatusVector() {
        let r = SubmitResponse(id: TransactionID(Self.hash), status: .committed(TxCommit(height: 7, index: 2, blockHash: Self.hash)))
        let hash = Hex.encode(Self.hash.bytes)
        #expect(Hex.encode(r.canonicalBytes) == hash + "02" + "0000000000000007" + "00000002" + hash)
    }

    @Test func stateSyncVectors() throws {
        let h = Hex.encode(Self.hash.bytes)
        #expect(Hex.encode(SnapshotChunkRequest(height: 1000, index: 3).canonicalBytes) == "00000000000003e8" + "00000003")
        #expect(Hex.encode(SnapshotChunk(height: 1000, index: 3, bytes: [0xCA, 0xFE]).canonicalBytes) == "00000000000003e8" + "00000003" + "00000002cafe")
        let offers = SnapshotOffers(offers: [SnapshotOffer(height: 1000, stateRoot: Self.hash, fileBytes: 3, chunkBytes: 2, chunkHashes: [Self.hash, Self.hash])])
        let hex = "00000001" + "00000000000003e8" + h + "0000000000000003" + "00000002" + "00000002" + h + h
        #expect(Hex.encode(offers.canonicalBytes) == hex)
        #expect(try SnapshotOffers(canonicalBytes: offers.canonicalBytes) == offers)
        // As many hashes as chunks, or the offer is refused.
        let short = SnapshotOffer(height: 1000, stateRoot: Self.hash, fileBytes: 5, chunkBytes: 2, chunkHashes: [Self.hash, Self.hash])
        #expect(throws: CodecError.self) { _ = try SnapshotOffer(canonicalBytes: short.canonicalBytes) }
        #expect(offers.offers[0].range(ofChunk: 1) == 2..<3, "the last chunk is the file's tail")
    }

    /// docs/protocol/validator.md's `ValidatorStatus` row (step numbered 0 propose, 1 prevote, 2 precommit).
    @Test func validatorStatusVector() throws {
        let h = Hex.encode(Self.hash.bytes)
        let s = ValidatorStatus(name: "v-1", chainID: "city", height: 7, lastBlockHash: Self.hash, lastBlockTimeMillis: 1_700_000_007_000,
                                consensusHeight: 8, round: 0, step: 1, voting: true, validatorSetHash: Self.hash, mempoolCount: 3,
                                mempoolBytes: 600, peers: 3, evidenceSeen: 0, power: 10, totalPower: 40, validators: [])
        let hex = "00000003762d31" + "0000000463697479" + "0000000000000007" + h + "0000018bcfe58358" + "0000000000000008" + "00000000"
            + "01" + "01" + h + "00000003" + "0000000000000258" + "00000003" + "0000000000000000" + "000000000000000a" + "0000000000000028" + "00000000"
        #expect(Hex.encode(s.canonicalBytes) == hex)
        #expect(try ValidatorStatus(canonicalBytes: s.canonicalBytes) == s)
    }

    @Test func proposalTransactionsRequestVector() {
        let r = ProposalTransactionsRequest(blockHash: Self.hash, indexes: [0, 5])
        #expect(Hex.encode(r.canonicalBytes) == Hex.encode(Self.hash.bytes) + "00000002" + "00000000" + "00000005")
    }

    /// The compact proposal's layout: the proposal's fields with the block's transactions replaced by their ids.
    @Test func compactProposalLayout() {
        let header = BlockHeader(chainID: "c", height: 7, timeMillis: 5, previousHash: .zero, transactionsRoot: Self.hash,
                                 transactionCount: 1, stateRoot: .zero, validatorSetHash: .zero, proposer: try! PublicKey(bytes: [UInt8](repeating: 1, count: 32)))
        var c = CompactProposal(compacting: Proposal(height: 7, round: 1, validRound: 0,
                                         value: Block(header: header, transactions: []), proposer: header.proposer,
                                         signature: try! Signature(bytes: [UInt8](repeating: 2, count: 64))))
        c.value.transactionIDs = [TransactionID(Self.hash)]
        let expected = "0000000000000007" + "00000001" + "01" + "00000000" + Hex.encode(header.canonicalBytes) + "00000000"
            + "00000001" + Hex.encode(Self.hash.bytes) + String(repeating: "01", count: 32) + String(repeating: "02", count: 64)
        #expect(Hex.encode(c.canonicalBytes) == expected)
        #expect(Hex.encode(GossipItem.compactProposal(c).canonicalBytes) == "06" + expected)
    }
}
