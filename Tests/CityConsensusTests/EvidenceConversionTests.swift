import CityConsensus
import CityEncoding
import CityLedger
import Testing

/// `Equivocation(_: EquivocationEvidence)`: what the core reports becomes ledger evidence that
/// verifies, and proposals sign the ledger's `SignedProposalHeader` bytes.
@Suite struct EvidenceConversionTests {
    @Test func reportedVoteEquivocationBecomesVerifiableEvidence() throws {
        var h = Harness()
        h.start()
        let o = h.others[0]
        h.votes(.precommit, r: 0, Fixture.value(1).id, from: [o])
        let reported = try #require(h.votes(.precommit, r: 0, nil, from: [o]).evidence.first)
        let e = Equivocation(reported)
        try e.verify(chainID: Fixture.chainID)
        #expect(e.offender == Fixture.key(o).ledgerPublicKey && e.height == 1 && e.round == 0 && e.step == .precommit)
        guard case let .votes(first, second) = e, case let .votes(a, b) = reported else { Issue.record("not votes"); return }
        // Canonical order whatever the arrival order: the nil vote sorts first.
        #expect(first == b && second == a && first.blockHash == nil)
        #expect(try Equivocation(canonicalBytes: e.canonicalBytes) == e)
    }

    @Test func reportedProposalEquivocationBecomesVerifiableEvidence() throws {
        var h = Harness()
        h.start()
        h.propose(Fixture.value(1, salt: 1), r: 0)
        let reported = try #require(h.propose(Fixture.value(1, salt: 2), r: 0).evidence.first)
        let e = Equivocation(reported)
        try e.verify(chainID: Fixture.chainID)
        #expect(e.offender == reported.validator && e.step == .propose && e.round == 0)
        guard case let .proposals(first, second) = e else { Issue.record("not proposals"); return }
        #expect(Set([first.valueID, second.valueID]) == Set([Fixture.value(1, salt: 1).id, Fixture.value(1, salt: 2).id]))
        #expect((try? e.verify(chainID: "other-chain")) == nil)
    }

    @Test func blockProposalsCarryTheBlockIDAndTheSameSignedBytes() throws {
        let signer = Ed25519Signer(Fixture.key(0))
        func block(_ t: UInt64) -> Block {
            Block(header: BlockHeader(chainID: Fixture.chainID, height: 3, timeMillis: t, previousHash: .zero, transactionsRoot: .zero,
                                      transactionCount: 0, stateRoot: .zero, validatorSetHash: .zero, proposer: signer.publicKey),
                  transactions: [])
        }
        let a = Proposal.sign(height: 3, round: 2, validRound: nil, value: block(1), chainID: Fixture.chainID, signer: signer)
        let b = Proposal.sign(height: 3, round: 2, validRound: 1, value: block(2), chainID: Fixture.chainID, signer: signer)
        #expect(a.signedHeader.valueID == block(1).id && a.signedHeader.signature == a.signature)
        #expect(a.signedHeader.verify(chainID: Fixture.chainID) && a.verify(chainID: Fixture.chainID))
        // One formula: the consensus sign bytes are the ledger's.
        #expect(Proposal<Block>.signBytes(chainID: Fixture.chainID, height: 3, round: 2, validRound: 1, valueID: block(2).id)
                == SignedProposalHeader.signBytes(chainID: Fixture.chainID, height: 3, round: 2, validRound: 1, valueID: block(2).id))
        #expect(ConsensusDomain.proposal == "citychain/proposal/v1" && ConsensusDomain.proposal == LedgerDomain.proposal)
        let e = Equivocation(EquivocationEvidence<Block>.proposals(first: b, second: a))
        try e.verify(chainID: Fixture.chainID)
        #expect(e == Equivocation(proposals: a.signedHeader, b.signedHeader))
        #expect(e.offender == signer.publicKey && e.height == 3 && e.round == 2)
    }
}
