import CityConsensus
import CityEncoding
import CityLedger
import Testing

/// Proposal encoding and signing, proposer selection, timeouts.
@Suite struct ProposalTests {
    @Test func proposalRoundTripsAndVerifies() throws {
        let p = Fixture.proposal(7, 3, 1, Fixture.value(7, salt: 9), by: 2)
        let back = try Proposal<TestValue>(canonicalBytes: p.canonicalBytes)
        #expect(back == p && back.verify(chainID: Fixture.chainID))
        #expect(!back.verify(chainID: "other-chain"))
        var forged = p
        forged.round = 4
        #expect(!forged.verify(chainID: Fixture.chainID))
    }

    @Test func proposalDecoderRefusesValidRoundNotBelowRoundAndTrailingBytes() {
        var p = Fixture.proposal(1, 2, nil, Fixture.value(1), by: 0)
        p.validRound = 2
        #expect(throws: CodecError.self) { try Proposal<TestValue>(canonicalBytes: p.canonicalBytes) }
        let ok = Fixture.proposal(1, 2, nil, Fixture.value(1), by: 0)
        #expect(throws: CodecError.self) { try Proposal<TestValue>(canonicalBytes: ok.canonicalBytes + [0]) }
    }

    @Test func proposalFromTheWrongProposerIsIgnored() {
        var h = Harness()
        h.start()
        let wrong = h.others.first { $0 != h.proposer(1, 0) }!
        h.send(.proposal(Fixture.proposal(1, 0, nil, Fixture.value(1), by: wrong)))
        h.send(.validated(height: 1, valueID: Fixture.value(1).id, isValid: true))
        #expect(h.log.votes.isEmpty)
    }

    @Test func blockIdIsTheHeaderHash() throws {
        let header = BlockHeader(chainID: Fixture.chainID, height: 1, timeMillis: 0, previousHash: .zero, transactionsRoot: .zero, transactionCount: 0,
                                 stateRoot: .zero, validatorSetHash: .zero, proposer: Fixture.key(0).ledgerPublicKey)
        #expect(Block(header: header, transactions: []).id == header.hash)
    }

    @Test func equalPowersRotateOnePerHeightAndRound() {
        let s = ProposerSchedule(Fixture.validatorSet(powers: [5, 5, 5, 5]))
        let firsts = (0..<4).map { s.proposer(height: UInt64($0), round: 0).publicKey }
        #expect(Set(firsts).count == 4)
        #expect(s.proposer(height: 1, round: 1) == s.proposer(height: 2, round: 0))
    }

    @Test func weightedScheduleGivesEachItsPowerPerPeriodSpreadOut() {
        let set = Fixture.validatorSet(powers: [1, 2, 3, 6])
        let s = ProposerSchedule(set)
        #expect(s.order.count == 12)
        for (i, v) in set.validators.enumerated() { #expect(s.order.filter { $0 == i }.count == Int(v.power)) }
        let heavy = set.validators.firstIndex { $0.power == 6 }!
        let runs = zip(s.order, s.order.dropFirst()).filter { $0 == heavy && $1 == heavy }.count
        #expect(runs <= 1, "the heaviest validator is interleaved, not batched: \(s.order)")
        #expect(ProposerSchedule(set).order == s.order, "deterministic")
    }

    @Test func timeoutsGrowLinearlyAndSaturate() {
        var c = Fixture.config()
        (c.proposeBaseMillis, c.proposeDeltaMillis) = (100, 10)
        #expect(c.durationMillis(.propose, round: 0) == 100 && c.durationMillis(.propose, round: 5) == 150)
        c.proposeDeltaMillis = .max
        #expect(c.durationMillis(.propose, round: 3) == .max)
    }
}
