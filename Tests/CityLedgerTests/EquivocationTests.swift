import CityEncoding
import Testing
@testable import CityLedger

/// `Equivocation` and `SignedProposalHeader`: canonical form, id, and `verify(chainID:)`.
@Suite struct EquivocationTests {
    typealias F = Fixture

    func refusal(_ e: Equivocation, chain: String = F.chainID) -> Rejection? {
        do { try e.verify(chainID: chain); return nil } catch { return error }
    }

    func codecError(_ bytes: [UInt8]) -> CodecError.Code? {
        do { _ = try Equivocation(canonicalBytes: bytes); return nil } catch { return error.code }
    }

    @Test func onePairHasOneEncodingInEitherOrder() throws {
        let a = F.vote(nil), b = F.vote(F.value("a"))
        let ab = Equivocation(votes: a, b), ba = Equivocation(votes: b, a)
        #expect(ab == ba && ab.canonicalBytes == ba.canonicalBytes && ab.id == ba.id)
        #expect(ab.isCanonicallyOrdered)
        #expect(try Equivocation(canonicalBytes: ab.canonicalBytes) == ab)
        guard case let .votes(first, second) = ab else { Issue.record("not votes"); return }
        // The swapped order is another encoding of the same pair: refused.
        #expect(codecError(Equivocation.votes(first: second, second: first).canonicalBytes) == .nonCanonical)
        let p = F.doubleProposal()
        #expect(try Equivocation(canonicalBytes: p.canonicalBytes) == p)
        guard case let .proposals(pFirst, pSecond) = p else { Issue.record("not proposals"); return }
        #expect(Equivocation(proposals: pSecond, pFirst) == p)
        #expect(codecError(Equivocation.proposals(first: pSecond, second: pFirst).canonicalBytes) == .nonCanonical)
    }

    @Test func decoderRefusesUnknownTagTruncationAndTrailingBytes() {
        let bytes = F.doubleVote().canonicalBytes
        #expect(codecError([3] + bytes.dropFirst()) == .unknownTag)
        #expect(codecError(Array(bytes.dropLast())) == .truncated)
        #expect(codecError(bytes + [0]) == .trailingBytes)
    }

    @Test func realEquivocationsVerify() {
        #expect(refusal(F.doubleVote()) == nil)
        #expect(refusal(F.doubleVote(kind: .precommit)) == nil)
        #expect(refusal(F.doubleProposal()) == nil)
        // Same value, another valid round: a different proposal.
        let reproposed = Equivocation(proposals: F.proposal(round: 2, F.value("a")), F.proposal(round: 2, validRound: 1, F.value("a")))
        #expect(refusal(reproposed) == nil)
        // Two different blocks (neither nil).
        #expect(refusal(Equivocation(votes: F.vote(F.value("a")), F.vote(F.value("b")))) == nil)
    }

    /// One way to tamper with evidence, and whether the refusal is about the signatures.
    struct Tamper: Sendable, CustomTestStringConvertible {
        let name: String
        let evidence: @Sendable () -> Equivocation
        var badSignature = false
        var testDescription: String { name }
    }

    static let tampers: [Tamper] = [
        Tamper(name: "same block id") { Equivocation(votes: F.vote(F.value("a")), F.vote(F.value("a"))) },
        Tamper(name: "nil twice") { Equivocation(votes: F.vote(nil), F.vote(nil)) },
        Tamper(name: "two validators") { Equivocation(votes: F.vote(nil, by: 1), F.vote(F.value("a"), by: 2)) },
        Tamper(name: "prevote and precommit") { Equivocation(votes: F.vote(nil, kind: .prevote), F.vote(F.value("a"), kind: .precommit)) },
        Tamper(name: "two heights") { Equivocation(votes: F.vote(nil, height: 1), F.vote(F.value("a"), height: 2)) },
        Tamper(name: "two rounds") { Equivocation(votes: F.vote(nil, round: 0), F.vote(F.value("a"), round: 1)) },
        Tamper(name: "same proposal") { Equivocation(proposals: F.proposal(F.value("a")), F.proposal(F.value("a"))) },
        Tamper(name: "two proposers") { Equivocation(proposals: F.proposal(F.value("a"), by: 1), F.proposal(F.value("b"), by: 2)) },
        Tamper(name: "two proposal rounds") { Equivocation(proposals: F.proposal(round: 1, F.value("a")), F.proposal(round: 2, F.value("b"))) },
        Tamper(name: "valid round not below round") {
            Equivocation(proposals: F.proposal(round: 1, validRound: 1, F.value("a")), F.proposal(round: 1, F.value("b")))
        },
        Tamper(name: "reversed order") {
            guard case let .votes(a, b) = F.doubleVote() else { fatalError() }
            return .votes(first: b, second: a)
        },
        Tamper(name: "signature of the other vote", evidence: {
            guard case let .votes(a, b) = F.doubleVote() else { fatalError() }
            var forged = b
            forged.signature = a.signature
            return .votes(first: a, second: forged)
        }, badSignature: true),
        Tamper(name: "vote changed after signing", evidence: {
            var changed = F.vote(F.value("a"))
            changed.blockHash = F.value("c")
            return Equivocation(votes: F.vote(nil), changed)
        }, badSignature: true),
        Tamper(name: "proposal signed for another chain", evidence: {
            Equivocation(proposals: F.proposal(F.value("a")), F.proposal(F.value("b"), chain: "other-chain"))
        }, badSignature: true),
    ]

    @Test(arguments: tampers) func tamperedEvidenceIsRefused(_ tamper: Tamper) {
        let e = tamper.evidence()
        let r = refusal(e)
        if tamper.badSignature {
            #expect(r == .badEvidenceSignature(e.offender))
        } else {
            guard case .invalidEvidence(let why)? = r else { Issue.record("got \(r.map(String.init(describing:)) ?? "accepted")"); return }
            #expect(!why.isEmpty)
        }
    }

    @Test func evidenceSignedForAnotherChainIsRefused() {
        let e = Equivocation(votes: F.vote(nil, chain: "other-chain"), F.vote(F.value("a"), chain: "other-chain"))
        #expect(refusal(e, chain: "other-chain") == nil)
        #expect(refusal(e) == .badEvidenceSignature(F.validatorKeys[1].ledgerPublicKey))
    }

    @Test func idNamesTheOffence() {
        let e = F.doubleVote()
        #expect(e.offender == F.validatorKeys[1].ledgerPublicKey && e.height == 1 && e.round == 0 && e.step == .prevote)
        // Another pair of conflicting votes for the same slot is the same offence.
        let other = Equivocation(votes: F.vote(F.value("b")), F.vote(F.value("c")))
        #expect(other != e && other.id == e.id)
        var w = CanonicalWriter()
        w.u8(2)
        w.encode(e.offender)
        w.u64(1)
        w.u32(0)
        #expect(e.id == LedgerDomain.hash("citychain/evidence/v1", w.bytes))
        let ids = [e, F.doubleVote(round: 1), F.doubleVote(height: 2), F.doubleVote(kind: .precommit), F.doubleVote(by: 2),
                   F.doubleProposal(round: 0)].map(\.id)
        #expect(Set(ids).count == ids.count)
        #expect(F.doubleProposal().step == .propose)
    }

    @Test func proposalSignBytesAreTheProtocolFormula() {
        let bytes = SignedProposalHeader.signBytes(chainID: "citychain-test", height: 7, round: 3, validRound: 1, valueID: F.value("v"))
        var w = CanonicalWriter()
        w.string("citychain/proposal/v1")
        w.string("citychain-test")
        w.u64(7)
        w.u32(3)
        w.u8(1)
        w.u32(1)
        w.fixed(F.value("v").bytes)
        #expect(bytes == w.bytes)
        let fresh = SignedProposalHeader.signBytes(chainID: "citychain-test", height: 7, round: 3, validRound: nil, valueID: F.value("v"))
        #expect(fresh == Array(w.bytes[0..<(w.bytes.count - 37)]) + [0] + F.value("v").bytes)
    }

    @Test func proposalHeaderRoundTripsAndRefusesAValidRoundNotBelowItsRound() throws {
        let p = F.proposal(round: 3, validRound: 2, F.value("a"))
        #expect(try SignedProposalHeader(canonicalBytes: p.canonicalBytes) == p)
        #expect(p.verify(chainID: F.chainID) && !p.verify(chainID: "other-chain"))
        var bad = p
        bad.validRound = 3
        #expect(throws: CodecError.self) { try SignedProposalHeader(canonicalBytes: bad.canonicalBytes) }
        #expect(throws: CodecError.self) { try SignedProposalHeader(canonicalBytes: p.canonicalBytes + [0]) }
    }

    @Test func evidenceEntryRoundTrips() throws {
        let entry = EvidenceEntry(F.doubleVote(height: 5, round: 2, kind: .precommit), includedAtHeight: 9)
        #expect(entry == EvidenceEntry(offender: F.validatorKeys[1].ledgerPublicKey, height: 5, round: 2, step: .precommit,
                                       includedAtHeight: 9))
        #expect(try EvidenceEntry(canonicalBytes: entry.canonicalBytes) == entry)
        var bytes = entry.canonicalBytes
        bytes[44] = 4   // the step tag
        #expect(throws: CodecError.self) { try EvidenceEntry(canonicalBytes: bytes) }
    }
}
