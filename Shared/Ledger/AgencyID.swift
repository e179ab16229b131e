import CityEncoding

/// An agency's id: 1–64 bytes of `[a-z0-9-]` (e.g. `land-bureau`).
package struct AgencyID: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible, Codable {
    /// The id text.
    package let value: String

    /// Validates `value`; throws `.invalidValue` if it breaks the rules.
    package init(_ value: String) throws(CodecError) {
        try IdentifierRules.check(value, field: "AgencyID", maxBytes: LedgerLimits.maxAgencyIDBytes,
                                  allowed: IdentifierRules.isAgencyByte, alphabet: "[a-z0-9-]")
        self.value = value
    }

    package var description: String { value }

    package static func < (a: AgencyID, b: AgencyID) -> Bool { IdentifierRules.less(a.value, b.value) }

    package func encode(to writer: inout CanonicalWriter) { writer.string(value) }

    package init(from reader: inout CanonicalReader) throws(CodecError) {
        try self.init(reader.string(max: LedgerLimits.maxAgencyIDBytes, "AgencyID"))
    }

    package init(from decoder: any Decoder) throws {
        try self.init(decoder.singleValueContainer().decode(String.self))
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}
