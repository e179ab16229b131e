import CityEncoding
import Testing
@testable import CityLedger

/// Blocks, votes and commit certificates.
@Suite struct ConsensusTypeTests {
    typealias F = Fixture

    static func header(height: UInt64 = 1) -> BlockHeader {
        BlockHeader(chainID: F.chainID, height: height, timeMillis: 1_700_000_001_000, previousHash: F.genesis.hash,
                    transactionsRoot: Block.transactionsRoot([]), transactionCount: 0, stateRoot: F.state().stateRoot,
                    validatorSetHash: F.state().currentValidatorSet.hash, proposer: F.validatorKeys[0].ledgerPublicKey)
    }

    func certificate(signers: [Int], header: BlockHeader = header(), chain: String = F.chainID) -> CommitCertificate {
        let votes = signers.map { try! Vote.sign(kind: .precommit, height: header.height, round: 0, blockHash: header.hash,
                                                 chainID: chain, key: F.validatorKeys[$0]) }
        return CommitCertificate(height: header.height, round: 0, blockHash: header.hash, precommits: votes)
    }

    func failure(_ cert: CommitCertificate, set: ValidatorSet = F.state().currentValidatorSet) -> LedgerErrorCode? {
        do { try cert.verify(header: Self.header(), validatorSet: set); return nil } catch { return error.code }
    }

    @Test func moreThanTwoThirdsPasses() {
        #expect(failure(certificate(signers: [0, 1, 2])) == nil)
        #expect(failure(certificate(signers: [0, 1, 2, 3])) == nil)
        #expect(failure(certificate(signers: [0, 1])) == .insufficientPower)
    }

    @Test func exactlyTwoThirdsFails() throws {
        // Powers 10, 10, 10 (total 30): two signers hold exactly 20 = 2/3.
        let set = try ValidatorSet(F.validatorKeys.prefix(3).map { Validator(publicKey: $0.ledgerPublicKey, power: 10, name: "v") })
        #expect(failure(certificate(signers: [0, 1]), set: set) == .insufficientPower)
        #expect(failure(certificate(signers: [0, 1, 2]), set: set) == nil)
        #expect(!set.isQuorum(20) && set.isQuorum(21))
    }

    @Test func duplicateSignaturesDoNotCountTwice() {
        let one = certificate(signers: [0, 1])
        let dup = CommitCertificate(height: one.height, round: one.round, blockHash: one.blockHash,
                                    signatures: one.signatures + [one.signatures[0]])
        #expect(failure(dup) == .duplicateValidator)
        // And the decoder refuses a repeated validator outright.
        #expect(throws: CodecError.self) { try CommitCertificate(canonicalBytes: dup.canonicalBytes) }
    }

    @Test func signaturesForAnotherChainOrBlockOrStrangerFail() {
        #expect(failure(certificate(signers: [0, 1, 2], chain: "other-chain")) == .badSignature)
        var other = Self.header()
        other.timeMillis += 1
        #expect(failure(certificate(signers: [0, 1, 2], header: other)) == .certificateMismatch)
        let stranger = try! Vote.sign(kind: .precommit, height: 1, round: 0, blockHash: Self.header().hash, chainID: F.chainID,
                                      key: F.signingKey(0x60))
        let c = certificate(signers: [0, 1, 2])
        let withStranger = CommitCertificate(height: 1, round: 0, blockHash: c.blockHash,
                                             signatures: c.signatures + [CommitSignature(validator: stranger.validator, signature: stranger.signature)])
        #expect(failure(withStranger) == .unknownValidator)
    }

    @Test func voteSignedForAnotherChainFails() throws {
        let v = try Vote.sign(kind: .prevote, height: 3, round: 1, blockHash: nil, chainID: "other-chain", key: F.validatorKeys[0])
        #expect(v.verify(chainID: "other-chain"))
        #expect(!v.verify(chainID: F.chainID))
        var changed = v
        changed.round = 2
        #expect(!changed.verify(chainID: "other-chain"))
        #expect(try Vote(canonicalBytes: v.canonicalBytes) == v)
    }

    @Test func blockChecksItsTransactionsRoot() throws {
        let tx = F.tx("land-bureau", F.put("land.parcels", "p1", [1]))
        var header = Self.header()
        header.transactionsRoot = Block.transactionsRoot([tx])
        header.transactionCount = 1
        let block = Block(header: header, transactions: [tx])
        try block.checkTransactionsRoot()
        #expect(try Block(canonicalBytes: block.canonicalBytes) == block)
        var bad = block
        bad.transactions.append(F.tx("land-bureau", F.put("land.parcels", "p2", [1]), nonce: 2))
        bad.header.transactionCount = 2
        #expect(failure(bad) == .transactionsRootMismatch)
        #expect(header.hash != Self.header().hash)
    }

    func failure(_ block: Block) -> LedgerErrorCode? {
        do { try block.checkTransactionsRoot(); return nil } catch { return error.code }
    }

    /// A block of `count` distinct transactions whose header commits to them.
    static func block(count: Int) -> Block {
        let txs = (0..<count).map { F.tx("land-bureau", F.put("land.parcels", "p\($0)", [1]), nonce: UInt64($0)) }
        var h = header()
        h.transactionsRoot = Block.transactionsRoot(txs)
        h.transactionCount = UInt32(count)
        return Block(header: h, transactions: txs)
    }

    @Test func headerCountMustMatchTheTransactions() throws {
        let block = Self.block(count: 15)
        try block.checkTransactionsRoot()
        for wrong: UInt32 in [14, 16, 0] {
            var bad = block
            bad.header.transactionCount = wrong
            #expect(failure(bad) == .transactionCountMismatch, "count \(wrong)")
        }
        // The count is part of the hashed header: changing it changes what validators certify.
        var other = block.header
        other.transactionCount = 16
        #expect(other.hash != block.header.hash)
        var w = CanonicalWriter()
        w.encode(block.header)
        let bytes = w.bytes
        // u32 count sits right after the 32-byte transactions root (chain id, height, time, previous hash before it).
        let at = 4 + F.chainID.utf8.count + 8 + 8 + 32 + 32
        #expect(Array(bytes[at..<(at + 4)]) == [0, 0, 0, 15])
    }

    @Test func inclusionProofNeedsTheHeaderCount() throws {
        let block = Self.block(count: 15)
        let header = block.header
        for i in [0, 7, 8, 14] {
            let proof = try #require(block.inclusionProof(forTransactionAt: i))
            #expect(header.verifyInclusion(of: block.transactions[i], proof: proof))
            #expect(!header.verifyInclusion(of: block.transactions[(i + 1) % 15], proof: proof))
        }
        #expect(block.inclusionProof(forTransactionAt: 15) == nil)
        #expect(block.inclusionProof(forTransactionAt: -1) == nil)
        // Index 3 of 15 has the same path as index 3 of 16: the bare proof verifies with a forged count...
        let proof = try #require(block.inclusionProof(forTransactionAt: 3))
        var forged = proof
        forged.leafCount = 16
        #expect(forged.verify(leaf: block.transactions[3].leafBytes, root: header.transactionsRoot))
        // ...but not against the header, whose certified count is 15.
        #expect(!header.verifyInclusion(of: block.transactions[3], proof: forged))
        // And a header claiming 16 to match the forged proof is refused by the block check.
        var lying = block
        lying.header.transactionCount = 16
        #expect(lying.header.verifyInclusion(of: block.transactions[3], proof: forged))
        #expect(failure(lying) == .transactionCountMismatch)
    }

    @Test func headerCountOverTheBlockLimitIsRefused() throws {
        var h = Self.header()
        h.transactionCount = UInt32(LedgerLimits.maxTransactionsPerBlock) + 1
        #expect(throws: CodecError.self) { try BlockHeader(canonicalBytes: h.canonicalBytes) }
        h.transactionCount = UInt32(LedgerLimits.maxTransactionsPerBlock)
        #expect(try BlockHeader(canonicalBytes: h.canonicalBytes) == h)
    }

    @Test func validatorSetRules() throws {
        let k = F.validatorKeys[0].ledgerPublicKey
        #expect(throws: CodecError.self) { try ValidatorSet([]) }
        #expect(throws: CodecError.self) { try ValidatorSet([Validator(publicKey: k, power: 1, name: "a"), Validator(publicKey: k, power: 2, name: "b")]) }
        #expect(throws: CodecError.self) { try ValidatorSet([Validator(publicKey: k, power: LedgerLimits.maxTotalVotingPower + 1, name: "a")]) }
        let set = F.state().currentValidatorSet
        #expect(try ValidatorSet(canonicalBytes: set.canonicalBytes) == set)
        #expect(set.validators.map(\.publicKey) == set.validators.map(\.publicKey).sorted())
    }
}
