import CityConsensus
import CityEncoding
import CityLedger
import Testing

/// Locking, double-sign protection (also across restarts and under adversarial input), evidence,
/// buffering of later heights and block sync.
@Suite struct SafetyTests {
    @Test func lockPreventsPrevotingOrPrecommittingAnotherValueLater() {
        var h = Harness()
        h.start()
        let a = Fixture.value(1, salt: 1)
        h.propose(a, r: 0)
        h.votes(.prevote, r: 0, a.id, from: Array(h.others.prefix(2)))            // locked on a in round 0
        h.votes(.precommit, r: 0, nil, from: h.others)
        h.send(.timeout(ConsensusTimeout(height: 1, round: 0, kind: .precommit)))
        let b = Fixture.value(1, salt: 2)
        let out = h.propose(b, r: 1)
        #expect(out.votes.map(\.blockHash) == [nil], "locked on a: prevote nil for b")
        let o = h.others
        h.votes(.prevote, r: 1, b.id, from: [o[0], o[1]])                          // no quorum for b
        h.send(.timeout(ConsensusTimeout(height: 1, round: 1, kind: .prevote)))
        let precommits = h.log.votes.filter { $0.kind == .precommit && $0.round == 1 }
        #expect(precommits.map(\.blockHash) == [nil] && h.core.lockedID == a.id)
    }

    @Test func restartResendsTheSameVoteAndKeepsTheLock() {
        var h = Harness()
        h.start()
        let a = Fixture.value(1, salt: 1)
        h.propose(a, r: 0)
        h.votes(.prevote, r: 0, a.id, from: Array(h.others.prefix(2)))
        let record = h.log.records.last!
        #expect(record.step == .precommit && record.lock?.value == a)
        var again = Harness(me: h.me, restoring: record)
        let out = again.start()
        #expect(out.records.isEmpty, "nothing new signed on restart")
        // The same signed prevote and precommit go out again, byte for byte.
        #expect(out.votes.map(\.signature) == h.log.votes.map(\.signature) && out.votes.last?.signature == record.message.vote!.signature)
        #expect(again.core.lockedID == a.id && again.core.round == 0 && again.core.step == .precommit)
        #expect(again.core.validValue == a && again.core.validRound == 0, "the restored lock is a value to re-propose")
        // A different proposal in the same round cannot make it vote again.
        #expect(again.propose(Fixture.value(1, salt: 5), r: 0).votes.isEmpty)
    }

    @Test func restartAfterProposingResendsTheSameProposal() {
        var h = Harness(me: Harness().proposer(1, 0))
        h.start()
        h.send(.valueToPropose(height: 1, round: 0, value: Fixture.value(1, salt: 1)))
        let record = h.log.records.first!
        var again = Harness(me: h.me, restoring: record)
        let out = again.start()
        #expect(out.proposals.map(\.signature) == h.log.proposals.map(\.signature))
        again.send(.valueToPropose(height: 1, round: 0, value: Fixture.value(1, salt: 2)))
        #expect(again.log.records.filter { $0.step == .propose }.isEmpty, "no second proposal signed")
    }

    /// Feeds random (seeded) adversarial events, restarting the core from its last record now and then;
    /// no two different votes ever leave it for one (height, round, kind), and every new vote is preceded by its record.
    @Test(arguments: 1...40 as ClosedRange<UInt64>)
    func neverDoubleSignsUnderAdversarialEvents(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        let values = (0..<3).map { Fixture.value(1, salt: UInt64($0)) }
        var h = Harness(me: Int(rng.below(4)))
        var signed: [String: Hash32?] = [:]
        var lastRecord: SignRecord<TestValue>?
        h.start()
        for _ in 0..<60 {
            let r = UInt32(rng.below(3))
            let v = values[Int(rng.below(3))]
            let from = Int(rng.below(4))
            let out: [ConsensusAction<TestValue>]
            switch rng.below(7) {
            case 0: out = h.send(.proposal(Fixture.proposal(1, r, r > 0 && rng.chance(50) ? r - 1 : nil, v, by: h.proposer(1, r))))
            case 1: out = h.send(.validated(height: 1, valueID: v.id, isValid: rng.chance(80)))
            case 2: out = h.send(.timeout(ConsensusTimeout(height: 1, round: r, kind: [.propose, .prevote, .precommit][Int(rng.below(3))])))
            case 3: out = h.send(.valueToPropose(height: 1, round: r, value: v))
            case 4:
                h = Harness(me: h.me, restoring: lastRecord)     // crash: all but the record is lost
                out = h.start()
            default: out = h.send(.vote(Fixture.vote(rng.chance(50) ? .prevote : .precommit, 1, r, rng.chance(30) ? nil : v.id, by: from)))
            }
            for action in out {
                switch action {
                case let .signing(rec): lastRecord = rec
                case let .broadcastVote(vote) where vote.validator == Fixture.key(h.me).ledgerPublicKey:
                    let slot = "\(vote.height)/\(vote.round)/\(vote.kind)"
                    if let earlier = signed[slot] { #expect(earlier == vote.blockHash, "double sign at \(slot), seed \(seed)") }
                    signed[slot] = vote.blockHash
                    #expect(lastRecord.map { !$0.isBefore(height: vote.height, round: vote.round, step: vote.kind == .prevote ? .prevote : .precommit) } ?? false)
                default: break
                }
            }
        }
    }

    @Test func equivocatingVotesBecomeEvidenceOnce() {
        var h = Harness()
        h.start()
        let o = h.others[0]
        h.votes(.prevote, r: 0, nil, from: [o])
        let out = h.votes(.prevote, r: 0, Fixture.value(1).id, from: [o])
        guard case let .votes(first, second)? = out.evidence.first else {
            Issue.record("no evidence in \(out)")
            return
        }
        #expect(first.blockHash == nil && second.blockHash == Fixture.value(1).id)
        #expect(h.votes(.prevote, r: 0, Fixture.value(1, salt: 4).id, from: [o]).evidence.isEmpty)
    }

    @Test func conflictingProposalsBecomeEvidence() {
        var h = Harness()
        h.start()
        h.propose(Fixture.value(1, salt: 1), r: 0)
        let out = h.propose(Fixture.value(1, salt: 2), r: 0)
        #expect(out.evidence.count == 1 && h.log.votes.count == 1, "prevotes the first proposal only")
    }

    @Test func votesForTheNextHeightAreBufferedAndBehindNodesAskForSync() throws {
        var h = Harness()
        h.start()
        let o = h.others
        let out = h.votes(.prevote, h: 3, r: 0, nil, from: [o[0], o[1]])
        #expect(out.contains { if case .requestSync(1) = $0 { true } else { false } })
        // Block sync answers with a certified value for height 1.
        let v = Fixture.value(1)
        let cert = CommitCertificate(height: 1, round: 0, blockHash: v.id,
                                     precommits: o.map { Fixture.vote(.precommit, 1, 0, v.id, by: $0) })
        let d = try #require(h.send(.certified(value: v, certificate: cert)).decisions.first)
        #expect(d.value == v)
        h.votes(.prevote, h: 2, r: 0, nil, from: o)               // buffered for height 2
        let next = h.start(2)
        #expect(next.votes.isEmpty && h.core.height == 2)
        #expect(h.send(.timeout(ConsensusTimeout(height: 2, round: 0, kind: .propose))).votes.first?.kind == .prevote)
        #expect(h.core.step == .precommit, "the buffered nil prevotes formed a quorum as soon as it prevoted")
    }

    @Test func rebroadcastResendsOwnMessagesWithoutSigning() {
        var h = Harness()
        h.start()
        h.propose(Fixture.value(1), r: 0)
        let out = h.send(.timeout(ConsensusTimeout(height: 1, round: 0, kind: .rebroadcast)))
        #expect(out.records.isEmpty && out.votes == h.log.votes.prefix(1).map { $0 })
        #expect(out.timeouts == [ConsensusTimeout(height: 1, round: 0, kind: .rebroadcast)])
    }
}

extension SignRecord.Message {
    var vote: Vote? { if case let .vote(v) = self { v } else { nil } }
}
