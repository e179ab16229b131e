/// An error typed by a code, with a message that says what was wrong and what to do: the one
/// shape of the services' own errors (`IndexerError`, `RegistryError`, `ChainVerificationError`),
/// printed as `code: message`.
package struct CodedError<Code: RawRepresentable & Hashable & Sendable>: Error, Hashable, Sendable, CustomStringConvertible
where Code.RawValue == String {
    /// What kind of failure.
    package var code: Code
    /// What was wrong, and what to do.
    package var message: String

    /// An error of `code`.
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code.rawValue): \(message)" }
}
