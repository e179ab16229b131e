import CityEncoding
import CityMerkle
import Testing
@testable import CityLedger

/// Blocks carrying evidence, its root, and recording it in the state (`validateEvidence`, `applyBlock`).
@Suite struct EvidenceStateTests {
    typealias F = Fixture

    /// Block 1 of the fixture chain with `evidence` and one transaction, its header committing to both.
    static func block(evidence: [Equivocation]) -> Block {
        let txs = [F.tx("land-bureau", F.put("land.parcels", "p1", [1]))]
        var s = F.state()
        _ = s.applyBlock(txs, height: 1, evidence: evidence)
        let header = BlockHeader(chainID: F.chainID, height: 1, timeMillis: 1_700_000_001_000, previousHash: F.genesis.hash,
                                 transactionsRoot: Block.transactionsRoot(txs), transactionCount: 1,
                                 evidenceRoot: Block.evidenceRoot(evidence), stateRoot: s.stateRoot,
                                 validatorSetHash: F.state().currentValidatorSet.hash, proposer: F.validatorKeys[0].ledgerPublicKey)
        return Block(header: header, transactions: txs, evidence: evidence)
    }

    func rootError(_ block: Block) -> LedgerErrorCode? {
        do { try block.checkRoots(); return nil } catch { return error.code }
    }

    @Test func blockWithEvidenceRoundTripsAndItsRootChecks() throws {
        let evidence = [F.doubleVote(), F.doubleProposal(by: 2)]
        let block = Self.block(evidence: evidence)
        #expect(block.header.evidenceRoot == MerkleTree.root(leaves: evidence.map(\.canonicalBytes)))
        #expect(try Block(canonicalBytes: block.canonicalBytes) == block)
        try block.checkRoots()
        try block.checkTransactionsRoot()
        var dropped = block
        dropped.evidence.removeLast()
        #expect(rootError(dropped) == .evidenceRootMismatch)
        var reordered = block
        reordered.evidence.reverse()
        #expect(rootError(reordered) == .evidenceRootMismatch)
        // The old name checks the evidence too.
        #expect(throws: LedgerError.self) { try reordered.checkTransactionsRoot() }
        var header = block
        header.header.evidenceRoot = Block.noEvidenceRoot
        #expect(rootError(header) == .evidenceRootMismatch)
        #expect(header.header.hash != block.header.hash)
        // A block without evidence has the empty root, the header's default.
        #expect(Block.evidenceRoot([]) == Block.noEvidenceRoot && Block.noEvidenceRoot == MerkleTree.emptyRoot)
        #expect(ConsensusTypeTests.header().evidenceRoot == Block.noEvidenceRoot)
    }

    @Test func blockDecoderRefusesMoreEvidenceThanTheLimit() {
        var w = CanonicalWriter()
        w.encode(ConsensusTypeTests.header())
        w.array([SignedTransaction]())
        w.array(Array(repeating: F.doubleVote(), count: LedgerLimits.maxEvidencePerBlock + 1))
        #expect(throws: CodecError.self) { try Block(canonicalBytes: w.bytes) }
    }

    @Test func applyingRecordsTheEntryAndRefusesItAgain() throws {
        let e = F.doubleVote(kind: .precommit)
        var s = F.state()
        #expect(s.validateEvidence(e, atHeight: 1) == nil)
        var without = F.state()
        _ = without.applyBlock([], height: 1)
        _ = s.applyBlock([], height: 1, evidence: [e])
        let entry = try #require(s.evidenceEntry(e.id))
        #expect(entry == EvidenceEntry(offender: F.validatorKeys[1].ledgerPublicKey, height: 1, round: 0, step: .precommit,
                                       includedAtHeight: 1))
        // In the state root, so provable against a certified header.
        #expect(s.stateRoot != without.stateRoot)
        let (value, proof) = s.prove(.evidence(e.id))
        #expect(value == entry.canonicalBytes)
        #expect(LedgerState.verify(.evidence(e.id), entry: entry, proof: proof, stateRoot: s.stateRoot))
        #expect(!LedgerState.verify(.evidence(e.id), entry: EvidenceEntry?.none, proof: proof, stateRoot: s.stateRoot))
        let (_, absent) = without.prove(.evidence(e.id))
        #expect(LedgerState.verify(.evidence(e.id), entry: EvidenceEntry?.none, proof: absent, stateRoot: without.stateRoot))
        // Never twice: neither the same pair nor another pair for the same offence.
        #expect(s.validateEvidence(e, atHeight: 2) == .evidenceAlreadyRecorded(e.id, includedAtHeight: 1))
        let other = Equivocation(votes: F.vote(F.value("b"), kind: .precommit), F.vote(F.value("c"), kind: .precommit))
        #expect(s.validateEvidence(other, atHeight: 2) == .evidenceAlreadyRecorded(e.id, includedAtHeight: 1))
        // No automatic slashing: the set and its powers are unchanged.
        #expect(s.currentValidatorSet == F.state().currentValidatorSet)
        #expect(s.validatorSet(forHeight: 3) == F.state().currentValidatorSet)
    }

    @Test func applyingAWholeBlockRecordsItsEvidence() {
        let block = Self.block(evidence: [F.doubleVote()])
        var s = F.state()
        let outcomes = s.applyBlock(block)
        #expect(outcomes.count == 1 && s.stateRoot == block.header.stateRoot)
        #expect(s.evidenceEntry(F.doubleVote().id)?.includedAtHeight == 1)
    }

    @Test func evidenceHeightMustBeWithinTheAgeWindow() {
        let s = F.state()
        let e = F.doubleVote(height: 5)
        #expect(s.validateEvidence(e, atHeight: 5) == nil)
        #expect(s.validateEvidence(e, atHeight: 4) == .evidenceTooNew(height: 5, maxHeight: 4))
        let oldest = 5 + LedgerLimits.maxEvidenceAgeHeights
        #expect(s.validateEvidence(e, atHeight: oldest) == nil)
        #expect(s.validateEvidence(e, atHeight: oldest + 1) == .evidenceTooOld(height: 5, minHeight: 6))
    }

    @Test func offenderMustBeAValidator() {
        let stranger = F.signingKey(0x60)
        let e = Equivocation(votes: F.vote(nil, key: stranger), F.vote(F.value("a"), key: stranger))
        #expect((try? e.verify(chainID: F.chainID)) != nil)
        #expect(F.state().validateEvidence(e, atHeight: 1) == .evidenceOffenderNotValidator(stranger.ledgerPublicKey))
    }

    @Test func signaturesAreCheckedUnlessAlreadyVerified() {
        guard case let .votes(a, b) = F.doubleVote() else { Issue.record("not votes"); return }
        var forged = b
        forged.signature = a.signature
        let e = Equivocation.votes(first: a, second: forged)
        #expect(F.state().validateEvidence(e, atHeight: 1) == .badEvidenceSignature(a.validator))
        #expect(F.state().validateEvidence(e, atHeight: 1, signaturesVerified: true) == nil)
        // The conflict rules are never skipped.
        let same = Equivocation(votes: a, a)
        #expect(F.state().validateEvidence(same, atHeight: 1, signaturesVerified: true) != nil)
    }

    @Test func blockEvidenceListIsCheckedAsAWhole() {
        let s = F.state()
        let e = F.doubleVote(), p = F.doubleProposal(by: 2)
        #expect(s.validateEvidence([e, p], atHeight: 1) == nil)
        #expect(s.validateEvidence([], atHeight: 1) == nil)
        let again = s.validateEvidence([e, p, e], atHeight: 1)
        #expect(again?.index == 2 && again?.rejection == .duplicateEvidence(e.id))
        let sameOffence = Equivocation(votes: F.vote(F.value("b")), F.vote(F.value("c")))
        #expect(s.validateEvidence([e, sameOffence], atHeight: 1)?.rejection == .duplicateEvidence(e.id))
        let stale = s.validateEvidence([p, F.doubleVote(height: 3)], atHeight: 2)
        #expect(stale?.index == 1 && stale?.rejection == .evidenceTooNew(height: 3, maxHeight: 2))
        let many = (0..<UInt32(LedgerLimits.maxEvidencePerBlock + 1)).map { F.doubleVote(round: $0) }
        #expect(s.validateEvidence(Array(many.dropLast()), atHeight: 1) == nil)
        let over = s.validateEvidence(many, atHeight: 1)
        #expect(over?.index == LedgerLimits.maxEvidencePerBlock)
        #expect(over?.rejection == .tooMuchEvidence(count: LedgerLimits.maxEvidencePerBlock + 1, max: LedgerLimits.maxEvidencePerBlock))
    }

    @Test func snapshotKeepsRecordedEvidence() throws {
        var s = F.state()
        _ = s.applyBlock([F.tx("land-bureau", F.put("land.parcels", "p1", [1]))], height: 1, evidence: [F.doubleVote(), F.doubleProposal()])
        let snap = s.snapshot()
        var restored = try LedgerState(snapshot: try LedgerSnapshot(canonicalBytes: snap.canonicalBytes))
        #expect(restored.stateRoot == s.stateRoot && restored.snapshot() == snap)
        #expect(restored.evidenceEntry(F.doubleProposal().id) == s.evidenceEntry(F.doubleProposal().id))
        #expect(restored.validateEvidence(F.doubleVote(), atHeight: 2) == .evidenceAlreadyRecorded(F.doubleVote().id, includedAtHeight: 1))
        _ = s.applyBlock([], height: 2, evidence: [F.doubleVote(by: 3)])
        _ = restored.applyBlock([], height: 2, evidence: [F.doubleVote(by: 3)])
        #expect(restored.stateRoot == s.stateRoot)
    }
}
