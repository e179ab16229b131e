import CityEncoding

/// The two Tendermint vote types: tag 1 prevote, tag 2 precommit.
package enum VoteKind: UInt8, Hashable, Sendable, CanonicalCodable {
    /// First-stage vote.
    case prevote = 1
    /// Second-stage vote; a quorum of these certifies a block.
    case precommit = 2

    package func encode(to w: inout CanonicalWriter) { w.u8(rawValue) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let tag = try r.u8("VoteKind")
        guard let k = VoteKind(rawValue: tag) else { throw .unknownTag("VoteKind", tag) }
        self = k
    }
}
