import CityEncoding

/// One validator's precommit signature inside a commit certificate.
@MemberwiseInit
package struct CommitSignature: Hashable, Sendable, CanonicalCodable {
    /// The validator.
    package var validator: PublicKey
    /// Its signature over the precommit `Vote.signBytes` for the certified block.
    package var signature: Signature

    package func encode(to w: inout CanonicalWriter) {
        w.encode(validator)
        w.encode(signature)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        validator = try PublicKey(from: &r)
        signature = try Signature(from: &r)
    }
}
