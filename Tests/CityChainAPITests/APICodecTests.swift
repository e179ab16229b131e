import CityConsensus
import CityEncoding
import CityLedger
@preconcurrency import Crypto
import Testing
@testable import CityChainAPI

/// Round trips and malformed input for every validator message payload.
@Suite struct APICodecTests {
    static let key = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 7, count: 32))
    static let validator = key.ledgerPublicKey
    static let header = BlockHeader(chainID: "c", height: 3, timeMillis: 5, previousHash: .zero, transactionsRoot: Block.transactionsRoot([]),
                                    transactionCount: 0, stateRoot: .zero, validatorSetHash: .zero, proposer: validator)
    static let block = Block(header: header, transactions: [])
    static func vote(_ h: UInt64 = 3) -> Vote {
        let bytes = Vote.signBytes(chainID: "c", kind: .precommit, height: h, round: 0, blockHash: header.hash)
        return Vote(kind: .precommit, height: h, round: 0, blockHash: header.hash, validator: validator,
                    signature: try! key.ledgerSignature(for: bytes))
    }

    func roundTrip<T: CanonicalCodable & Equatable>(_ value: T) throws {
        let bytes = value.canonicalBytes
        #expect(try T(canonicalBytes: bytes) == value)
        #expect(throws: CodecError.self) { try T(canonicalBytes: bytes + [0]) }
        if bytes.count > 1 { #expect(throws: CodecError.self) { try T(canonicalBytes: Array(bytes.dropLast())) } }
    }

    @Test func everyPayloadRoundTrips() throws {
        let cert = CommitCertificate(height: 3, round: 0, blockHash: Self.header.hash, precommits: [Self.vote()])
        try roundTrip(CertifiedBlock(block: Self.block, certificate: cert))
        try roundTrip(BlocksRequest(from: 1, maxCount: 64))
        try roundTrip(BlocksResponse(latestHeight: 9, blocks: [CertifiedBlock(block: Self.block, certificate: cert)]))
        try roundTrip(CommitsRequest(from: 4))
        try roundTrip(TxStatusRequest(id: TransactionID(.zero)))
        try roundTrip(SubmitResponse(id: TransactionID(.zero), status: .pending))
        try roundTrip(SubmitResponse(id: TransactionID(.zero), status: .committed(TxCommit(height: 2, index: 1, blockHash: .zero))))
        try roundTrip(SubmitResponse(id: TransactionID(.zero), status: .rejected(.replayed(TransactionID(.zero)))))
        try roundTrip(TxStatus.unknown)
        try roundTrip(GossipSubscribe(name: "validator-1", advertise: "127.0.0.1:7101", height: 12))
        let proposal = Proposal.sign(height: 3, round: 1, validRound: 0, value: Self.block, chainID: "c", signer: Ed25519Signer(Self.key))
        var other = Self.vote()
        other.blockHash = Hash32.sha256([1])
        try roundTrip(GossipBatch(items: [.proposal(proposal), .vote(Self.vote()), .height(7), .evidence(Equivocation(votes: Self.vote(), other)),
                                          .compactProposal(CompactProposal(compacting: proposal))]))
        try roundTrip(ProposalTransactionsRequest(blockHash: Self.header.hash, indexes: [0, 3, 9]))
        try roundTrip(ProposalTransactions(transactions: []))
        try roundTrip(ValidatorStatus(name: "v", chainID: "c", height: 1, lastBlockHash: .zero, lastBlockTimeMillis: 2, consensusHeight: 2,
                                      round: 0, step: 1, voting: true, validatorSetHash: .zero, mempoolCount: 3, mempoolBytes: 4,
                                      peers: 3, evidenceSeen: 0))
    }

    @Test func boundsAndTagsAreChecked() {
        #expect(throws: CodecError.self) { try BlocksRequest(canonicalBytes: BlocksRequest(from: 0, maxCount: 1).canonicalBytes) }
        #expect(throws: CodecError.self) { try BlocksRequest(canonicalBytes: BlocksRequest(from: 1, maxCount: 257).canonicalBytes) }
        #expect(throws: CodecError.self) { try CommitsRequest(canonicalBytes: CommitsRequest(from: 0).canonicalBytes) }
        #expect(throws: CodecError.self) { try TxStatus(canonicalBytes: [9]) }
        #expect(throws: CodecError.self) { try GossipItem(canonicalBytes: [0]) }
        #expect(throws: CodecError.self) { try GossipBatch(canonicalBytes: [0, 0, 0, 0]) }   // empty batch
        var w = CanonicalWriter()
        w.u64(2); w.array([CertifiedBlock]())
        #expect((try? BlocksResponse(canonicalBytes: w.bytes))?.blocks.isEmpty == true)
    }

    @Test func certifiedBlockVerifiesOnlyAgainstItsSet() throws {
        let set = try ValidatorSet([Validator(publicKey: Self.validator, power: 1, name: "v")])
        var header = Self.header
        header.validatorSetHash = set.hash
        let block = Block(header: header, transactions: [])
        let bytes = Vote.signBytes(chainID: "c", kind: .precommit, height: 3, round: 0, blockHash: header.hash)
        let vote = Vote(kind: .precommit, height: 3, round: 0, blockHash: header.hash, validator: Self.validator,
                        signature: try Self.key.ledgerSignature(for: bytes))
        let good = CertifiedBlock(block: block, certificate: CommitCertificate(height: 3, round: 0, blockHash: header.hash, precommits: [vote]))
        try good.verify(validatorSet: set)
        let other = try ValidatorSet([Validator(publicKey: Curve25519.Signing.PrivateKey().ledgerPublicKey, power: 1, name: "w")])
        #expect(throws: LedgerError.self) { try good.verify(validatorSet: other) }
        var forged = good
        forged.certificate = CommitCertificate(height: 3, round: 0, blockHash: header.hash, signatures: [])
        #expect(throws: LedgerError.self) { try forged.verify(validatorSet: set) }
    }

    /// A compact proposal carries the full proposal's signature and becomes that proposal again
    /// only with the transactions its header commits to.
    @Test func aCompactProposalIsMadeWholeOnlyWithItsOwnTransactions() throws {
        let signer = try Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 9, count: 32))
        let txs = (1...3).map { n in
            try! SignedTransaction.sign(TransactionBody(chainID: "c", signer: Signer(agency: try! AgencyID("tax-office"), keyID: 1), nonce: UInt64(n),
                                                        expiresAtHeight: 9, operation: .anchorAuditBatch(firstSequence: 0, lastSequence: 0, recordCount: 1,
                                                                                                         merkleRoot: .zero)), key: signer)
        }
        var header = Self.header
        header.transactionsRoot = Block.transactionsRoot(txs)
        header.transactionCount = 3
        let full = Proposal.sign(height: 3, round: 0, validRound: nil, value: Block(header: header, transactions: txs), chainID: "c",
                                 signer: Ed25519Signer(Self.key))
        let compact = CompactProposal(compacting: full)
        #expect(compact.verify(chainID: "c") && !compact.verify(chainID: "other"), "the full proposal's signature, over the block id")
        #expect(compact.transactionIDs == txs.map(\.id))
        #expect(try compact.assemble(txs).get() == full)
        #expect(throws: CompactBlockError.self) { try compact.assemble([txs[1], txs[0], txs[2]]).get() }
        #expect(throws: CompactBlockError.self) { try compact.assemble(Array(txs.prefix(2))).get() }
        var recosigned = txs[2]
        recosigned.signatures.append(recosigned.signatures[0])   // same id, other bytes: the root tells
        #expect(throws: CompactBlockError.self) { try compact.assemble([txs[0], txs[1], recosigned]).get() }
        var lying = compact
        lying.value.transactionIDs.removeLast()
        #expect(throws: CodecError.self) { try CompactProposal(canonicalBytes: lying.canonicalBytes) }
        #expect(throws: CodecError.self) {
            try ProposalTransactionsRequest(canonicalBytes: ProposalTransactionsRequest(blockHash: .zero, indexes: [3, 1]).canonicalBytes)
        }
    }
}
