import CityEncoding

/// An id that is a checked string (`AgencyID`, `DatasetID`): printed, ordered, encoded (canonical
/// string of at most `maxBytes`) and read from JSON as its text, which `init(_:)` validates.
package protocol IdentifierText: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible, Codable {
    /// The most UTF-8 bytes the id may have.
    static var maxBytes: Int { get }
    /// The field name in errors.
    static var field: String { get }
    /// The id text.
    var value: String { get }
    /// Validates `value`; throws `.invalidValue` if it breaks the rules.
    init(_ value: String) throws(CodecError)
}

extension IdentifierText {
    package var description: String { value }

    package static func < (a: Self, b: Self) -> Bool { IdentifierRules.less(a.value, b.value) }

    package func encode(to writer: inout CanonicalWriter) { writer.string(value) }

    package init(from reader: inout CanonicalReader) throws(CodecError) {
        try self.init(reader.string(max: Self.maxBytes, Self.field))
    }

    package init(from decoder: any Decoder) throws {
        try self.init(decoder.singleValueContainer().decode(String.self))
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}
