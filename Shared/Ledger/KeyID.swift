import CityEncoding

/// The number of one of an agency's keys (unique per agency across signing and sealing keys).
package struct KeyID: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible, Codable,
    ExpressibleByIntegerLiteral {
    /// The number.
    package let value: UInt32

    /// Wraps a number; every `u32` is valid.
    package init(_ value: UInt32) { self.value = value }

    /// Integer literal, for tests and configs.
    package init(integerLiteral value: UInt32) { self.value = value }

    package var description: String { String(value) }

    package static func < (a: KeyID, b: KeyID) -> Bool { a.value < b.value }

    package func encode(to writer: inout CanonicalWriter) { writer.u32(value) }

    package init(from reader: inout CanonicalReader) throws(CodecError) { value = try reader.u32("KeyID") }

    package init(from decoder: any Decoder) throws { value = try decoder.singleValueContainer().decode(UInt32.self) }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}
