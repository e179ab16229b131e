import CityEncoding

/// An Ed25519 signature (64 bytes). Randomized: never use its bytes to identify anything.
package struct Signature: Hashable, Sendable, CanonicalCodable, CustomStringConvertible {
    /// Size of a signature.
    package static let byteCount = 64
    /// The raw signature bytes.
    package let bytes: [UInt8]

    /// Wraps 64 raw bytes; throws `.invalidValue` for any other length.
    package init(bytes: [UInt8]) throws(CodecError) {
        guard bytes.count == Self.byteCount else {
            throw CodecError(.invalidValue, field: "Signature", "\(bytes.count) bytes; an Ed25519 signature is 64 bytes")
        }
        self.bytes = bytes
    }

    package var description: String { Hex.encode(bytes) }

    package func encode(to writer: inout CanonicalWriter) { writer.fixed(bytes) }

    package init(from reader: inout CanonicalReader) throws(CodecError) {
        bytes = try reader.fixed(Self.byteCount, "Signature")
    }
}
