import CityEncoding
import Crypto

/// An agency's X25519 public key (32 bytes) that sealed payloads are encrypted to.
package struct SealingPublicKey: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible, Codable {
    /// Size of the raw key.
    package static let byteCount = 32
    /// The raw key bytes.
    package let bytes: [UInt8]

    /// Wraps 32 raw bytes; throws `.invalidValue` for any other length.
    package init(bytes: [UInt8]) throws(CodecError) {
        guard bytes.count == Self.byteCount else {
            throw CodecError(.invalidValue, field: "SealingPublicKey", "\(bytes.count) bytes; an X25519 public key is 32 bytes")
        }
        self.bytes = bytes
    }

    /// The public half of a swift-crypto key-agreement key.
    package init(_ key: Curve25519.KeyAgreement.PublicKey) { bytes = Array(key.rawRepresentation) }

    /// Parses 64 hex digits; throws `.invalidValue` if malformed.
    package init(hex: String) throws(CodecError) {
        guard let b = Hex.decode(hex) else {
            throw CodecError(.invalidValue, field: "SealingPublicKey", "not hex; give 64 hex digits")
        }
        try self.init(bytes: b)
    }

    /// The swift-crypto key, or nil if the bytes are not a usable X25519 key.
    package var cryptoKey: Curve25519.KeyAgreement.PublicKey? {
        try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: bytes)
    }

    /// Lowercase hex.
    package var hex: String { Hex.encode(bytes) }

    package var description: String { hex }

    package static func < (a: SealingPublicKey, b: SealingPublicKey) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }

    package func encode(to writer: inout CanonicalWriter) { writer.fixed(bytes) }

    package init(from reader: inout CanonicalReader) throws(CodecError) {
        bytes = try reader.fixed(Self.byteCount, "SealingPublicKey")
    }

    package init(from decoder: any Decoder) throws {
        try self.init(hex: decoder.singleValueContainer().decode(String.self))
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(hex)
    }
}
