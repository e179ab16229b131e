import CityEncoding

/// The step of a round in which a validator signed two conflicting messages, in the order a
/// round runs: tag 1 propose, 2 prevote, 3 precommit.
package enum EquivocationStep: UInt8, Hashable, Sendable, CanonicalCodable, CustomStringConvertible {
    /// Two different proposals.
    case propose = 1
    /// Two prevotes for different block ids.
    case prevote = 2
    /// Two precommits for different block ids.
    case precommit = 3

    /// The step of a vote of `kind`.
    package init(_ kind: VoteKind) {
        switch kind {
        case .prevote: self = .prevote
        case .precommit: self = .precommit
        }
    }

    package var description: String {
        switch self {
        case .propose: "propose"
        case .prevote: "prevote"
        case .precommit: "precommit"
        }
    }

    package func encode(to w: inout CanonicalWriter) { w.u8(rawValue) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let tag = try r.u8("EquivocationStep")
        guard let step = EquivocationStep(rawValue: tag) else { throw .unknownTag("EquivocationStep", tag) }
        self = step
    }
}
