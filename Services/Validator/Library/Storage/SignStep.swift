import CityEncoding

/// The step of a round a validator signs in, ordered as Tendermint runs them:
/// propose (1) < prevote (2) < precommit (3).
package enum SignStep: UInt8, Hashable, Sendable, Comparable, CanonicalCodable {
    /// A block proposal.
    case propose = 1
    /// A prevote.
    case prevote = 2
    /// A precommit.
    case precommit = 3

    package static func < (a: SignStep, b: SignStep) -> Bool { a.rawValue < b.rawValue }

    package func encode(to w: inout CanonicalWriter) { w.u8(rawValue) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let tag = try r.u8("SignStep")
        guard let step = SignStep(rawValue: tag) else { throw .unknownTag("SignStep", tag) }
        self = step
    }
}
