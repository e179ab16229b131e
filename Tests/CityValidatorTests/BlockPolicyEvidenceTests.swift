import CityEncoding
import CityLedger
import CityValidator
import Testing

/// Evidence in `BlockPolicy.buildBlock` and `validateProposal`.
@Suite struct BlockPolicyEvidenceTests {
    typealias F = MempoolFixture
    static let now = F.genesisTimeMillis + 5_000
    static let policy = BlockPolicy(maxTransactionsPerBlock: 100, maxBlockBytes: 1 << 20, maxClockDriftMillis: 2_000)

    static func build(_ evidence: [Equivocation], transactions: [SignedTransaction] = [F.parking(1)]) -> ExecutedBlock {
        policy.buildBlock(transactions: transactions, evidence: evidence, parent: F.genesisTip, state: F.state(),
                          proposer: F.proposer, nowMillis: now)
    }

    static func refusal(_ block: Block, parent: ChainTip = F.genesisTip, state: LedgerState = F.state()) -> ProposalRejection? {
        if case .failure(let r) = policy.validateProposal(block: block, parent: parent, state: state, nowMillis: now) { return r }
        return nil
    }

    @Test func builtBlockRecordsItsEvidenceAndIsAccepted() throws {
        let evidence = [F.doubleVote(by: 1), F.doubleVote(by: 2, round: 3)]
        let built = Self.build(evidence)
        #expect(built.block.evidence == evidence && built.block.transactions == [F.parking(1)])
        #expect(built.block.header.evidenceRoot == Block.evidenceRoot(evidence))
        #expect(built.state.evidenceEntry(evidence[1].id)?.includedAtHeight == 1)
        let checked = try Self.policy.validateProposal(block: built.block, parent: F.genesisTip, state: F.state(), nowMillis: Self.now).get()
        #expect(checked.state.stateRoot == built.block.header.stateRoot)
        #expect(checked.state.evidenceEntry(evidence[0].id) != nil)
        // Without evidence the header carries the empty root.
        #expect(Self.build([]).block.header.evidenceRoot == Block.noEvidenceRoot)
        #expect(Self.build([]).block.header.stateRoot != built.block.header.stateRoot)
    }

    @Test func buildLeavesOutRefusedRepeatedAndOverLimitEvidence() {
        let good = F.doubleVote(by: 1), other = F.doubleVote(by: 2)
        let built = Self.build([F.forgedVote(by: 3), good, F.otherPair(by: 1), F.doubleVote(key: F.signingKey(0x60)), other, good])
        #expect(built.block.evidence == [good, other])
        let many = (0..<UInt32(LedgerLimits.maxEvidencePerBlock + 6)).map { F.doubleVote(round: $0) }
        let full = Self.build(many)
        #expect(full.block.evidence == Array(many.prefix(LedgerLimits.maxEvidencePerBlock)))
        #expect(Self.policy.validateProposal(block: full.block, parent: F.genesisTip, state: F.state(), nowMillis: Self.now).isSuccess)
        // Evidence already recorded on chain is left out of the next block.
        let tip = ChainTip(header: built.block.header)
        let next = Self.policy.buildBlock(transactions: [], evidence: [good, F.doubleVote(by: 3)], parent: tip, state: built.state,
                                          proposer: F.proposer, nowMillis: Self.now + 1_000)
        #expect(next.block.evidence == [F.doubleVote(by: 3)])
    }

    /// Replaces the block's evidence and recomputes the evidence root (the state root stays the built one's).
    static func withEvidence(_ evidence: [Equivocation]) -> Block {
        var block = build([F.doubleVote()]).block
        block.evidence = evidence
        block.header.evidenceRoot = Block.evidenceRoot(evidence)
        return block
    }

    @Test func evidenceRootMustMatch() {
        var block = Self.build([F.doubleVote()]).block
        block.evidence.append(F.doubleVote(by: 2))
        #expect(Self.refusal(block)?.code == .evidenceRootMismatch)
        var header = Self.build([F.doubleVote()]).block
        header.header.evidenceRoot = Block.noEvidenceRoot
        #expect(Self.refusal(header)?.code == .evidenceRootMismatch)
    }

    @Test func invalidEvidenceIsRefusedWithTheLedgerReason() {
        let e = F.doubleVote()
        let stranger = F.doubleVote(key: F.signingKey(0x60))
        let cases: [(String, Block, Rejection)] = [
            ("forged", Self.withEvidence([F.forgedVote()]), .badEvidenceSignature(e.offender)),
            ("same offence twice", Self.withEvidence([e, F.otherPair()]), .duplicateEvidence(e.id)),
            ("not a validator", Self.withEvidence([stranger]), .evidenceOffenderNotValidator(stranger.offender)),
            ("from a later height", Self.withEvidence([F.doubleVote(height: 2)]), .evidenceTooNew(height: 2, maxHeight: 1)),
        ]
        for (name, block, expected) in cases {
            let r = Self.refusal(block)
            #expect(r?.code == .invalidEvidence && r?.refusedEvidence == expected, "\(name): \(r.map(String.init(describing:)) ?? "accepted")")
        }
    }

    @Test func evidenceAlreadyOnChainIsRefused() {
        let first = Self.build([F.doubleVote()])
        let tip = ChainTip(header: first.block.header)
        var again = Self.policy.buildBlock(transactions: [], parent: tip, state: first.state, proposer: F.proposer,
                                           nowMillis: Self.now + 1_000).block
        again.evidence = [F.otherPair()]
        again.header.evidenceRoot = Block.evidenceRoot(again.evidence)
        let r = Self.refusal(again, parent: tip, state: first.state)
        #expect(r?.code == .invalidEvidence && r?.refusedEvidence == .evidenceAlreadyRecorded(F.doubleVote().id, includedAtHeight: 1))
    }

    @Test func tooMuchEvidenceIsRefusedBeforeAnySignatureCheck() {
        let many = (0..<UInt32(LedgerLimits.maxEvidencePerBlock + 1)).map { _ in F.forgedVote() }
        #expect(Self.refusal(Self.withEvidence(many))?.code == .tooMuchEvidence)
    }
}
