import CityEncoding

/// A dataset's id: 1–64 bytes of `[a-z0-9-._]` (e.g. `parking.sessions`).
package struct DatasetID: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible, Codable {
    /// The id text.
    package let value: String

    /// Validates `value`; throws `.invalidValue` if it breaks the rules.
    package init(_ value: String) throws(CodecError) {
        try IdentifierRules.check(value, field: "DatasetID", maxBytes: LedgerLimits.maxDatasetIDBytes,
                                  allowed: IdentifierRules.isDatasetByte, alphabet: "[a-z0-9-._]")
        self.value = value
    }

    package var description: String { value }

    package static func < (a: DatasetID, b: DatasetID) -> Bool { IdentifierRules.less(a.value, b.value) }

    package func encode(to writer: inout CanonicalWriter) { writer.string(value) }

    package init(from reader: inout CanonicalReader) throws(CodecError) {
        try self.init(reader.string(max: LedgerLimits.maxDatasetIDBytes, "DatasetID"))
    }

    package init(from decoder: any Decoder) throws {
        try self.init(decoder.singleValueContainer().decode(String.self))
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}
