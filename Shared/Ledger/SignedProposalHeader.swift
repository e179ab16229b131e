import CityEncoding

/// What a proposer signs about a proposal, without the proposed value: the value enters by its
/// id. Consensus proposals (`Proposal<Value>` in CityConsensus) sign exactly these bytes, so the
/// ledger can check a proposer's two conflicting proposals (`Equivocation.proposals`) without
/// knowing the consensus value type.
@MemberwiseInit
package struct SignedProposalHeader: Hashable, Sendable, CanonicalCodable {
    /// The height proposed for.
    package var height: UInt64
    /// The round proposed in.
    package var round: UInt32
    /// The round of the prevote quorum the value is re-proposed from; nil for a fresh value.
    package var validRound: UInt32?
    /// The proposed value's id (a block's header hash).
    package var valueID: Hash32
    /// The proposing validator.
    package var proposer: PublicKey
    /// Signature over `signBytes`.
    package var signature: Signature

    /// Domain "citychain/proposal/v1" || string chainID || u64 height || u32 round || optional u32 validRound || value id.
    /// The one definition of a proposal's signed bytes (`Proposal.signBytes` calls it).
    package static func signBytes(chainID: String, height: UInt64, round: UInt32, validRound: UInt32?, valueID: Hash32) -> [UInt8] {
        var w = CanonicalWriter(capacity: 128)
        w.string(LedgerDomain.proposal)
        w.string(chainID)
        w.u64(height)
        w.u32(round)
        w.optional(validRound) { w, r in w.u32(r) }
        w.encode(valueID)
        return w.bytes
    }

    /// True when the signature verifies for `chainID`.
    package func verify(chainID: String) -> Bool {
        proposer.isValidSignature(signature, for: Self.signBytes(chainID: chainID, height: height, round: round,
                                                                 validRound: validRound, valueID: valueID))
    }

    package func encode(to w: inout CanonicalWriter) {
        w.u64(height)
        w.u32(round)
        w.optional(validRound) { w, r in w.u32(r) }
        w.encode(valueID)
        w.encode(proposer)
        w.encode(signature)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        height = try r.u64("SignedProposalHeader.height")
        round = try r.u32("SignedProposalHeader.round")
        validRound = try r.optional("SignedProposalHeader.validRound") { (r: inout CanonicalReader) throws(CodecError) in
            try r.u32("SignedProposalHeader.validRound")
        }
        valueID = try Hash32(from: &r)
        proposer = try PublicKey(from: &r)
        signature = try Signature(from: &r)
        // The consensus core never signs such a proposal, and `Proposal`'s decoder refuses it too.
        if let vr = validRound, vr >= round {
            throw CodecError(.invalidValue, field: "SignedProposalHeader.validRound", "\(vr) is not below the round \(round)")
        }
    }
}
