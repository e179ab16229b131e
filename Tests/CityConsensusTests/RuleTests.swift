import CityConsensus
import CityEncoding
import CityLedger
import Testing

/// One test per rule of CONSENSUS.md, with hand-written event sequences (4 validators of power 1).
@Suite struct RuleTests {
    @Test func rule1ProposerAsksForValueAndSignsBeforeBroadcast() {
        var probe = Harness()
        var h = Harness(me: probe.proposer(1, 0))
        let out = h.start()
        #expect(out.contains { if case .needValue(1, 0) = $0 { true } else { false } })
        #expect(out.timeouts.contains(ConsensusTimeout(height: 1, round: 0, kind: .propose)))
        let v = Fixture.value(1)
        let sent = h.send(.valueToPropose(height: 1, round: 0, value: v))
        guard case let .signing(rec) = sent.first, case .broadcastProposal(let p) = sent.dropFirst().first else {
            Issue.record("expected signing then broadcastProposal, got \(sent)")
            return
        }
        #expect(rec.step == .propose && p.value == v && p.validRound == nil && p.verify(chainID: Fixture.chainID))
        probe.start()
        #expect(probe.log.timeouts.contains(ConsensusTimeout(height: 1, round: 0, kind: .propose)))
        #expect(!probe.log.contains { if case .needValue = $0 { true } else { false } })
    }

    @Test func rule1ProposerReproposesValidValue() {
        var h = Harness(me: Harness().proposer(1, 1))
        h.start()
        let v = Fixture.value(1, salt: 7)
        h.send(.proposal(Fixture.proposal(1, 0, nil, v, by: h.proposer(1, 0))))
        h.send(.validated(height: 1, valueID: v.id, isValid: true))
        h.votes(.prevote, r: 0, v.id, from: h.others)           // rule 5: validValue = v, round 0
        #expect(h.core.validValue == v && h.core.validRound == 0)
        h.votes(.precommit, r: 0, nil, from: h.others)          // rule 7 then its timeout: round 1
        let out = h.send(.timeout(ConsensusTimeout(height: 1, round: 0, kind: .precommit)))
        #expect(out.proposals.first?.value == v && out.proposals.first?.validRound == 0)
    }

    @Test func rule2PrevotesValidFreshProposalAndNilForInvalid() {
        var h = Harness()
        h.start()
        let v = Fixture.value(1)
        let out = h.propose(v, r: 0)
        #expect(out.votes.map(\.blockHash) == [v.id] && h.core.step == .prevote)
        var bad = Harness()
        bad.start()
        #expect(bad.propose(v, r: 0, valid: false).votes.map(\.blockHash) == [nil])
    }

    @Test func rule3ReproposalNeedsPrevoteQuorumInValidRound() {
        var h = Harness()
        h.start()
        h.send(.timeout(ConsensusTimeout(height: 1, round: 0, kind: .propose)))       // prevote nil in round 0
        h.votes(.precommit, r: 0, nil, from: h.others)
        h.send(.timeout(ConsensusTimeout(height: 1, round: 0, kind: .precommit)))     // round 1
        #expect(h.core.round == 1)
        let v = Fixture.value(1, salt: 3)
        #expect(h.propose(v, r: 1, vr: 0).votes.isEmpty)                            // no quorum for vr yet
        let out = h.votes(.prevote, r: 0, v.id, from: Array(h.others.prefix(3)))
        #expect(out.votes.map(\.blockHash) == [v.id] && out.votes.first?.round == 1)
    }

    @Test func rule4AnyPrevoteQuorumArmsPrevoteTimeoutOnce() {
        var h = Harness()
        h.start()
        let v = Fixture.value(1)
        h.propose(v, r: 0)
        let o = h.others
        h.votes(.prevote, r: 0, nil, from: [o[0]])
        let out = h.votes(.prevote, r: 0, Fixture.value(1, salt: 9).id, from: [o[1]])
        #expect(out.timeouts == [ConsensusTimeout(height: 1, round: 0, kind: .prevote)])
        #expect(h.votes(.prevote, r: 0, nil, from: [o[2]]).timeouts.isEmpty)
    }

    @Test func rule5LocksAndPrecommits() {
        var h = Harness()
        h.start()
        let v = Fixture.value(1)
        h.propose(v, r: 0)
        let out = h.votes(.prevote, r: 0, v.id, from: Array(h.others.prefix(2)))
        #expect(out.votes.map(\.kind) == [.precommit] && out.votes.first?.blockHash == v.id)
        #expect(h.core.lockedID == v.id && h.core.lockedRound == 0 && h.core.validRound == 0)
        #expect(out.records.first?.lock?.value == v && out.records.first?.lock?.polka.count == 3, "the persisted record carries the new lock and its polka")
    }

    @Test func rule6NilPrevoteQuorumPrecommitsNil() {
        var h = Harness()
        h.start()
        h.propose(Fixture.value(1), r: 0)
        let out = h.votes(.prevote, r: 0, nil, from: h.others)
        #expect(out.votes.map(\.blockHash) == [nil] && out.votes.first?.kind == .precommit && h.core.lockedRound == nil)
    }

    @Test func rule7AnyPrecommitQuorumArmsPrecommitTimeout() {
        var h = Harness()
        h.start()
        let o = h.others
        h.votes(.precommit, r: 0, nil, from: [o[0], o[1]])
        let out = h.votes(.precommit, r: 0, Fixture.value(1).id, from: [o[2]])
        #expect(out.timeouts == [ConsensusTimeout(height: 1, round: 0, kind: .precommit)])
    }

    @Test func rule8DecidesWithVerifyingCertificateFromAnEarlierRound() throws {
        var h = Harness()
        h.start()
        let v = Fixture.value(1)
        h.propose(v, r: 0)
        h.votes(.prevote, r: 1, nil, from: Array(h.others.prefix(2)))             // rule 9 → round 1
        #expect(h.core.round == 1)
        let out = h.votes(.precommit, r: 0, v.id, from: h.others)
        let d = try #require(out.decisions.first)
        #expect(d.value == v && d.certificate.round == 0 && h.core.phase == .decided)
        try d.certificate.verify(blockHash: v.id, validatorSet: h.set, chainID: Fixture.chainID)
    }

    @Test func rule9SkipsToRoundWithMoreThanAThirdOfPower() {
        var h = Harness()
        h.start()
        h.votes(.prevote, r: 3, nil, from: [h.others[0]])
        #expect(h.core.round == 0)
        h.votes(.precommit, r: 3, nil, from: [h.others[1]])
        #expect(h.core.round == 3 && h.core.step == .propose)
    }

    @Test func rule10TimeoutsActOnlyWhenStillCurrent() {
        var h = Harness()
        h.start()
        #expect(h.send(.timeout(ConsensusTimeout(height: 1, round: 5, kind: .propose))).votes.isEmpty)
        #expect(h.send(.timeout(ConsensusTimeout(height: 1, round: 0, kind: .propose))).votes.map(\.blockHash) == [nil])
        #expect(h.send(.timeout(ConsensusTimeout(height: 1, round: 0, kind: .propose))).votes.isEmpty)
        let pc = h.send(.timeout(ConsensusTimeout(height: 1, round: 0, kind: .prevote)))
        #expect(pc.votes.map(\.kind) == [.precommit] && pc.votes.first?.blockHash == nil)
        let next = h.send(.timeout(ConsensusTimeout(height: 1, round: 0, kind: .precommit)))
        #expect(h.core.round == 1 && next.timeouts.contains(ConsensusTimeout(height: 1, round: 1, kind: .propose)))
    }
}
