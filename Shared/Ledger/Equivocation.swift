import CityEncoding

/// Proof that one validator signed two conflicting messages for one height, round and step:
/// two votes of one kind for different block ids, or two different proposals. Blocks carry it
/// (`Block.evidence`) and applying a block records it in the state (`EvidenceEntry`).
///
/// Canonical form: the two items in increasing order of their canonical bytes (strictly, so the
/// same message twice is not evidence), so one pair of messages has exactly one encoding. Build
/// values with `init(votes:_:)` or `init(proposals:_:)`, which order them; the decoder refuses
/// any other order and `verify(chainID:)` refuses it in memory.
package enum Equivocation: Hashable, Sendable, CanonicalCodable {
    /// Two votes of one kind, height and round by one validator, for different block ids (nil counts as an id).
    case votes(first: Vote, second: Vote)
    /// Two proposals of one height and round by one proposer with different (value id, valid round).
    case proposals(first: SignedProposalHeader, second: SignedProposalHeader)

    /// The evidence of two conflicting votes, in canonical order.
    package init(votes a: Vote, _ b: Vote) {
        self = Self.ordered(a, b) ? .votes(first: a, second: b) : .votes(first: b, second: a)
    }

    /// The evidence of two conflicting proposals, in canonical order.
    package init(proposals a: SignedProposalHeader, _ b: SignedProposalHeader) {
        self = Self.ordered(a, b) ? .proposals(first: a, second: b) : .proposals(first: b, second: a)
    }

    /// The validator that signed the first item (both, once `verify` passes).
    package var offender: PublicKey {
        switch self {
        case let .votes(first, _): first.validator
        case let .proposals(first, _): first.proposer
        }
    }

    /// The height of the first item (of both, once `verify` passes).
    package var height: UInt64 {
        switch self {
        case let .votes(first, _): first.height
        case let .proposals(first, _): first.height
        }
    }

    /// The round of the first item (of both, once `verify` passes).
    package var round: UInt32 {
        switch self {
        case let .votes(first, _): first.round
        case let .proposals(first, _): first.round
        }
    }

    /// The step the first item was signed in (both, once `verify` passes).
    package var step: EquivocationStep {
        switch self {
        case let .votes(first, _): EquivocationStep(first.kind)
        case .proposals: .propose
        }
    }

    /// The offence's id: SHA-256(domain "citychain/evidence/v1" || u8 step || offender || u64 height
    /// || u32 round). Two different pairs of conflicting messages for one (validator, height,
    /// round, step) are one offence with one id, so it is recorded once however many pairs a
    /// validator signs; signatures stay out for the reason a transaction id leaves them out
    /// (Ed25519 signatures may be randomized).
    package var id: Hash32 {
        var w = CanonicalWriter(capacity: 48)
        w.encode(step)
        w.encode(offender)
        w.u64(height)
        w.u32(round)
        return LedgerDomain.hash(LedgerDomain.evidence, w.bytes)
    }

    /// True when the first item's canonical bytes are strictly below the second's.
    package var isCanonicallyOrdered: Bool {
        switch self {
        case let .votes(first, second): Self.ordered(first, second)
        case let .proposals(first, second): Self.ordered(first, second)
        }
    }

    private static func ordered(_ a: some CanonicalEncodable, _ b: some CanonicalEncodable) -> Bool {
        a.canonicalBytes.lexicographicallyPrecedes(b.canonicalBytes)
    }

    package func encode(to w: inout CanonicalWriter) {
        switch self {
        case let .votes(first, second):
            w.u8(1)
            w.encode(first)
            w.encode(second)
        case let .proposals(first, second):
            w.u8(2)
            w.encode(first)
            w.encode(second)
        }
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let tag = try r.u8("Equivocation")
        switch tag {
        case 1: self = .votes(first: try Vote(from: &r), second: try Vote(from: &r))
        case 2: self = .proposals(first: try SignedProposalHeader(from: &r), second: try SignedProposalHeader(from: &r))
        default: throw .unknownTag("Equivocation", tag)
        }
        guard isCanonicallyOrdered else {
            throw CodecError(.nonCanonical, field: "Equivocation",
                             "the two items are not in strictly increasing order of their canonical bytes")
        }
    }
}
