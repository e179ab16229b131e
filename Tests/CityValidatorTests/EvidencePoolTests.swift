import CityEncoding
import CityLedger
import CityValidator
import Testing

/// `EvidencePool`: admission (verify, dedup by offence, bounds), arrival order, and what a committed block drops.
@Suite struct EvidencePoolTests {
    typealias F = MempoolFixture

    @Test func admitsValidEvidenceOnceInArrivalOrder() {
        var pool = EvidencePool()
        let state = F.state()
        let a = F.doubleVote(by: 1), b = F.doubleVote(by: 2), c = F.doubleVote(by: 1, round: 1)
        #expect(pool.add(a, state: state, height: 1) == .accepted(sequence: 0))
        #expect(pool.add(b, state: state, height: 1) == .accepted(sequence: 1))
        #expect(pool.add(c, state: state, height: 1) == .accepted(sequence: 2))
        #expect(pool.add(a, state: state, height: 1) == .duplicate)
        // Another pair of messages for an offence already pending adds nothing.
        #expect(pool.add(F.otherPair(by: 1), state: state, height: 1) == .duplicate)
        #expect(pool.count == 3 && pool.contains(a.id) && pool.pendingCount(offender: a.offender) == 2)
        #expect(pool.pending(max: 10) == [a, b, c])
        #expect(pool.pending(max: 2) == [a, b])
        #expect(pool.pending(max: 0).isEmpty)
    }

    @Test func refusesWhatTheLedgerRefuses() {
        var pool = EvidencePool()
        let state = F.state()
        let forged = F.forgedVote()
        #expect(pool.add(forged, state: state, height: 1) == .rejected(.badEvidenceSignature(forged.offender)))
        let stranger = F.doubleVote(key: F.signingKey(0x60))
        #expect(pool.add(stranger, state: state, height: 1) == .rejected(.evidenceOffenderNotValidator(stranger.offender)))
        #expect(pool.add(F.doubleVote(height: 2), state: state, height: 1) == .rejected(.evidenceTooNew(height: 2, maxHeight: 1)))
        guard case .rejected(.invalidEvidence) = pool.add(Equivocation(votes: F.vote(nil, key: F.validatorKeys[1]),
                                                                      F.vote(nil, key: F.validatorKeys[1])), state: state, height: 1)
        else { Issue.record("two identical votes were not refused"); return }
        #expect(pool.count == 0 && pool.pending(max: 10).isEmpty)
    }

    @Test func boundsCountAndPerOffenderBeforeVerifying() {
        var pool = EvidencePool(maxItems: 3, maxPerOffender: 2)
        let state = F.state()
        #expect(pool.add(F.doubleVote(by: 1, round: 0), state: state, height: 1) == .accepted(sequence: 0))
        #expect(pool.add(F.doubleVote(by: 1, round: 1), state: state, height: 1) == .accepted(sequence: 1))
        let offender = F.validatorKeys[1].ledgerPublicKey
        #expect(pool.add(F.doubleVote(by: 1, round: 2), state: state, height: 1) == .fullForOffender(offender, maxPerOffender: 2))
        #expect(pool.add(F.doubleVote(by: 2), state: state, height: 1) == .accepted(sequence: 2))
        #expect(pool.add(F.doubleVote(by: 3), state: state, height: 1) == .full(maxItems: 3))
        // Full is answered before any signature check: a forged item gets .full, not .rejected.
        #expect(pool.add(F.forgedVote(by: 3), state: state, height: 1) == .full(maxItems: 3))
        #expect(pool.count == 3)
    }

    @Test func committedBlockDropsIncludedOffences() throws {
        var pool = EvidencePool()
        let state = F.state()
        let a = F.doubleVote(by: 1), b = F.doubleVote(by: 2)
        _ = pool.add(a, state: state, height: 1)
        _ = pool.add(b, state: state, height: 1)
        // A block recording another pair of a's offence, and b itself.
        let built = BlockPolicy().buildBlock(transactions: [], evidence: [F.otherPair(by: 1), b], parent: F.genesisTip, state: state,
                                             proposer: F.proposer, nowMillis: F.genesisTimeMillis + 1_000)
        #expect(built.block.evidence == [F.otherPair(by: 1), b])
        let dropped = pool.blockCommitted(built.block, state: built.state)
        #expect(dropped.isEmpty && pool.count == 0 && !pool.contains(a.id) && pool.pendingCount(offender: a.offender) == 0)
        // And the state refuses it from now on.
        #expect(pool.add(a, state: built.state, height: 2) == .rejected(.evidenceAlreadyRecorded(a.id, includedAtHeight: 1)))
    }

    @Test func committedBlockDropsEvidenceAgainstARemovedValidator() {
        var pool = EvidencePool()
        var state = F.state()
        let removed = F.validatorKeys[3].ledgerPublicKey
        let e = F.doubleVote(by: 3), kept = F.doubleVote(by: 2)
        _ = pool.add(e, state: state, height: 1)
        _ = pool.add(kept, state: state, height: 1)
        // Ops act on the evidence: an admin change removes validator 3, in force from height 3.
        let removal = F.tx("admin-a", .changeValidatorSet(changes: [ValidatorChange(publicKey: removed, power: 0, name: "v3")]),
                           nonce: 1, cosigners: ["admin-b"])
        var tip = F.genesisTip
        var last: [(id: Hash32, rejection: Rejection)] = []
        for (h, txs) in [(UInt64(1), [removal]), (2, []), (3, [])] {
            let built = BlockPolicy().buildBlock(transactions: txs, parent: tip, state: state, proposer: F.proposer,
                                                 nowMillis: F.genesisTimeMillis + h * 1_000)
            #expect(built.block.transactions.count == txs.count)
            state = built.state
            tip = ChainTip(header: built.block.header)
            last = pool.blockCommitted(built.block, state: state)
            if h < 3 { #expect(last.isEmpty && pool.count == 2, "height \(h)") }
        }
        #expect(last.map { $0.id } == [e.id] && last.first?.rejection == .evidenceOffenderNotValidator(removed))
        #expect(pool.pending(max: 10) == [kept])
    }
}
