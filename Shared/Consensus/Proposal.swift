import CityEncoding
import CityLedger

/// A proposer's signed proposal of `value` for (height, round), carrying the round in which the
/// value last gathered a prevote quorum (`validRound`, nil for the paper's −1).
@MemberwiseInit
package struct Proposal<Value: ConsensusValue>: Hashable, Sendable, CanonicalCodable {
    /// The height proposed for.
    package var height: UInt64
    /// The round proposed in.
    package var round: UInt32
    /// The round of the prevote quorum this value is re-proposed from; nil for a fresh value.
    package var validRound: UInt32?
    /// The proposed value.
    package var value: Value
    /// The proposing validator; the core accepts it only from `proposer(height, round)`.
    package var proposer: PublicKey
    /// Signature over `Proposal.signBytes`.
    package var signature: Signature

    /// Signs a proposal with `signer` for `chainID`.
    package static func sign(height: UInt64, round: UInt32, validRound: UInt32?, value: Value, chainID: String,
                             signer: any ConsensusSigner) -> Proposal {
        let message = signBytes(chainID: chainID, height: height, round: round, validRound: validRound, valueID: value.id)
        return Proposal(height: height, round: round, validRound: validRound, value: value,
                        proposer: signer.publicKey, signature: signer.sign(message))
    }

    /// Domain "citychain/proposal/v1" || string chainID || u64 height || u32 round || optional u32 validRound || value id.
    /// The value enters by its id: the id commits to the value, and the signed bytes stay small. The
    /// formula lives in the ledger (`SignedProposalHeader.signBytes`), which checks proposal evidence.
    package static func signBytes(chainID: String, height: UInt64, round: UInt32, validRound: UInt32?, valueID: Hash32) -> [UInt8] {
        SignedProposalHeader.signBytes(chainID: chainID, height: height, round: round, validRound: validRound, valueID: valueID)
    }

    /// What the proposer signed, with the value replaced by its id: the form evidence carries.
    package var signedHeader: SignedProposalHeader {
        SignedProposalHeader(height: height, round: round, validRound: validRound, valueID: value.id,
                             proposer: proposer, signature: signature)
    }

    /// True when the signature verifies for `chainID` (the core separately checks the proposer is `proposer(h, r)`).
    package func verify(chainID: String) -> Bool { signedHeader.verify(chainID: chainID) }

    /// True when `other` is a different proposal signed by the same proposer for the same height and round.
    package func conflicts(with other: Proposal) -> Bool {
        height == other.height && round == other.round && proposer == other.proposer
            && (value.id != other.value.id || validRound != other.validRound)
    }

    package func encode(to w: inout CanonicalWriter) {
        w.u64(height)
        w.u32(round)
        w.optional(validRound) { w, r in w.u32(r) }
        w.encode(value)
        w.encode(proposer)
        w.encode(signature)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        height = try r.u64("Proposal.height")
        round = try r.u32("Proposal.round")
        validRound = try r.optional("Proposal.validRound") { (r: inout CanonicalReader) throws(CodecError) in
            try r.u32("Proposal.validRound")
        }
        value = try Value(from: &r)
        proposer = try PublicKey(from: &r)
        signature = try Signature(from: &r)
        if let vr = validRound, vr >= round {
            throw CodecError(.invalidValue, field: "Proposal.validRound", "\(vr) is not below the round \(round)")
        }
    }
}
