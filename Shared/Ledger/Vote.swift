import CityEncoding
import Crypto

/// A validator's signed prevote or precommit for a block hash (or nil) at a height and round.
@MemberwiseInit
package struct Vote: Hashable, Sendable, CanonicalCodable {
    /// Prevote or precommit.
    package var kind: VoteKind
    /// The height voted on.
    package var height: UInt64
    /// The round within the height.
    package var round: UInt32
    /// The block voted for; nil votes for no block.
    package var blockHash: Hash32?
    /// The voting validator.
    package var validator: PublicKey
    /// Signature over `Vote.signBytes`.
    package var signature: Signature

    /// Signs a vote for `chainID` with `key`.
    package static func sign(kind: VoteKind, height: UInt64, round: UInt32, blockHash: Hash32?, chainID: String,
                             key: Curve25519.Signing.PrivateKey) throws -> Vote {
        let message = signBytes(chainID: chainID, kind: kind, height: height, round: round, blockHash: blockHash)
        return Vote(kind: kind, height: height, round: round, blockHash: blockHash,
                    validator: key.ledgerPublicKey, signature: try key.ledgerSignature(for: message))
    }

    /// Domain "citychain/vote/v1" || string chainID || u8 kind || u64 height || u32 round || optional blockHash.
    package static func signBytes(chainID: String, kind: VoteKind, height: UInt64, round: UInt32, blockHash: Hash32?) -> [UInt8] {
        var w = CanonicalWriter(capacity: 128)
        w.string(LedgerDomain.vote)
        w.string(chainID)
        w.encode(kind)
        w.u64(height)
        w.u32(round)
        w.optional(blockHash)
        return w.bytes
    }

    /// True when the signature verifies for `chainID`.
    package func verify(chainID: String) -> Bool {
        validator.isValidSignature(signature, for: Self.signBytes(chainID: chainID, kind: kind, height: height,
                                                                   round: round, blockHash: blockHash))
    }

    package func encode(to w: inout CanonicalWriter) {
        w.encode(kind)
        w.u64(height)
        w.u32(round)
        w.optional(blockHash)
        w.encode(validator)
        w.encode(signature)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        kind = try VoteKind(from: &r)
        height = try r.u64("Vote.height")
        round = try r.u32("Vote.round")
        blockHash = try r.optional("Vote.blockHash")
        validator = try PublicKey(from: &r)
        signature = try Signature(from: &r)
    }
}
