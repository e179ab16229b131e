import CityEncoding

/// An agency's id: 1–64 bytes of `[a-z0-9-]` (e.g. `land-bureau`).
package struct AgencyID: IdentifierText {
    package static var maxBytes: Int { LedgerLimits.maxAgencyIDBytes }
    package static var field: String { "AgencyID" }
    /// The id text.
    package let value: String

    /// Validates `value`; throws `.invalidValue` if it breaks the rules.
    package init(_ value: String) throws(CodecError) {
        try IdentifierRules.check(value, field: Self.field, maxBytes: Self.maxBytes,
                                  allowed: IdentifierRules.isAgencyByte, alphabet: "[a-z0-9-]")
        self.value = value
    }
}
