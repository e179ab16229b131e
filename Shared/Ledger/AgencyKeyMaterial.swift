import CityEncoding

/// A public key an agency registers: tag 0 = Ed25519 signing key, tag 1 = X25519 sealing key.
package enum AgencyKeyMaterial: Hashable, Sendable, CanonicalCodable {
    /// Signs the agency's transactions.
    case signing(PublicKey)
    /// Receives sealed payloads.
    case sealing(SealingPublicKey)

    /// True for a signing key.
    package var isSigning: Bool { if case .signing = self { true } else { false } }

    package func encode(to writer: inout CanonicalWriter) {
        switch self {
        case .signing(let k): writer.u8(0); k.encode(to: &writer)
        case .sealing(let k): writer.u8(1); k.encode(to: &writer)
        }
    }

    package init(from reader: inout CanonicalReader) throws(CodecError) {
        switch try reader.u8("AgencyKeyMaterial.kind") {
        case 0: self = .signing(try PublicKey(from: &reader))
        case 1: self = .sealing(try SealingPublicKey(from: &reader))
        case let tag: throw .unknownTag("AgencyKeyMaterial.kind", tag)
        }
    }
}
