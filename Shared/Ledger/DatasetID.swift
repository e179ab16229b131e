import CityEncoding

/// A dataset's id: 1–64 bytes of `[a-z0-9-._]` (e.g. `parking.sessions`).
package struct DatasetID: IdentifierText {
    package static var maxBytes: Int { LedgerLimits.maxDatasetIDBytes }
    package static var field: String { "DatasetID" }
    /// The id text.
    package let value: String

    /// Validates `value`; throws `.invalidValue` if it breaks the rules.
    package init(_ value: String) throws(CodecError) {
        try IdentifierRules.check(value, field: Self.field, maxBytes: Self.maxBytes,
                                  allowed: IdentifierRules.isDatasetByte, alphabet: "[a-z0-9-._]")
        self.value = value
    }
}
