import CityEncoding

/// One signature on a transaction body and who made it.
@MemberwiseInit
package struct TransactionSignature: Hashable, Sendable, CanonicalCodable {
    /// The agency and key that signed.
    package var signer: Signer
    /// Ed25519 signature over `TransactionBody.signingMessage`.
    package var signature: Signature

    package func encode(to w: inout CanonicalWriter) {
        w.encode(signer)
        w.encode(signature)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        signer = try Signer(from: &r)
        signature = try Signature(from: &r)
    }
}
