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

    // Swift's String `==` treats canonically equivalent strings ("é" and "e" + U+0301) as equal,
    // but the state tree keys records by the UTF-8 bytes. Equality and hashing must follow the
    // bytes too, or two distinct records could share one dictionary slot.
    package static func == (a: SubjectKey, b: SubjectKey) -> Bool { a.value.utf8.elementsEqual(b.value.utf8) }

    package func hash(into hasher: inout Hasher) {
        for byte in value.utf8 { hasher.combine(byte) }
    }

    package static func < (a: SubjectKey, b: SubjectKey) -> Bool { IdentifierRules.less(a.value, b.value) }

    package func encode(to writer: inout CanonicalWriter) { writer.string(value) }

    package init(from reader: inout CanonicalReader) throws(CodecError) {
        try self.init(reader.string(max: LedgerLimits.maxSubjectKeyBytes, "SubjectKey"))
    }
}
