import CityEncoding

/// The key of a record inside its dataset (a parcel number, a patient id): 1–256 bytes of UTF-8.
package struct SubjectKey: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    /// The key text.
    package let value: String

    /// Validates `value`; throws `.invalidValue` if it is empty or longer than 256 bytes.
    package init(_ value: String) throws(CodecError) {
        let count = value.utf8.count
        guard count >= 1, count <= LedgerLimits.maxSubjectKeyBytes else {
            throw CodecError(.invalidValue, field: "SubjectKey",
                             "length \(count) bytes; use 1 to \(LedgerLimits.maxSubjectKeyBytes) bytes of UTF-8")
        }
        self.value = value
    }

    package var description: String { value }

    package static func < (a: SubjectKey, b: SubjectKey) -> Bool { IdentifierRules.less(a.value, b.value) }

    package func encode(to writer: inout CanonicalWriter) { writer.string(value) }

    package init(from reader: inout CanonicalReader) throws(CodecError) {
        try self.init(reader.string(max: LedgerLimits.maxSubjectKeyBytes, "SubjectKey"))
    }
}
