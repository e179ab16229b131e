import CityEncoding
import Crypto
import Foundation

/// An Ed25519 public key (32 bytes) that verifies transaction and vote signatures.
package struct PublicKey: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible, Codable {
    /// Size of the raw key.
    package static let byteCount = 32
    /// The raw key bytes.
    package let bytes: [UInt8]

    /// Wraps 32 raw bytes; throws `.invalidValue` for any other length.
    package init(bytes: [UInt8]) throws(CodecError) {
        guard bytes.count == Self.byteCount else {
            throw CodecError(.invalidValue, field: "PublicKey", "\(bytes.count) bytes; an Ed25519 public key is 32 bytes")
        }
        self.bytes = bytes
    }

    /// The public half of a swift-crypto signing key.
    package init(_ key: Curve25519.Signing.PublicKey) {
        bytes = Array(key.rawRepresentation)
    }

    /// Parses 64 hex digits; throws `.invalidValue` if malformed.
    package init(hex: String) throws(CodecError) {
        guard let b = Hex.decode(hex) else {
            throw CodecError(.invalidValue, field: "PublicKey", "not hex; give 64 hex digits")
        }
        try self.init(bytes: b)
    }

    /// Lowercase hex.
    package var hex: String { Hex.encode(bytes) }

    package var description: String { hex }

    package static func < (a: PublicKey, b: PublicKey) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }

    /// True when `signature` is a valid Ed25519 signature of `message` by this key.
    /// A key verified before uses its precomputed table (`Ed25519Tables`); the verdict is the same.
    package func isValidSignature(_ signature: Signature, for message: [UInt8]) -> Bool {
        if let table = Ed25519Tables.table(for: self) { return table.isValidSignature(signature.bytes, for: message) }
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else { return false }
        return key.isValidSignature(signature.bytes, for: message)
    }

    package func encode(to writer: inout CanonicalWriter) { writer.fixed(bytes) }

    package init(from reader: inout CanonicalReader) throws(CodecError) {
        bytes = try reader.fixed(Self.byteCount, "PublicKey")
    }

    package init(from decoder: any Decoder) throws {
        try self.init(hex: decoder.singleValueContainer().decode(String.self))
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(hex)
    }
}

extension Curve25519.Signing.PrivateKey {
    /// This key's public half as a ledger `PublicKey`.
    package var ledgerPublicKey: PublicKey { PublicKey(publicKey) }

    /// Signs `message`; Ed25519 here is randomized, so two calls give different signatures.
    package func ledgerSignature(for message: [UInt8]) throws -> Signature {
        try Signature(bytes: Array(signature(for: message)))
    }
}
