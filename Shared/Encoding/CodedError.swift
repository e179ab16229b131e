/// The code of a `CodedError`: a closed set of failure kinds, each with the name printed before
/// the message (a `String` raw value, else the case name).
package protocol ErrorCode: Hashable, Sendable {
    /// The code as printed (`code: message`).
    var name: String { get }
}

extension ErrorCode {
    package var name: String { "\(self)" }
}

extension ErrorCode where Self: RawRepresentable, RawValue == String {
    package var name: String { rawValue }
}

/// An error typed by a code, with a message that says what was wrong and what to do: the one
/// shape of the services' own errors (`LedgerError`, `SignerStateError`, `IndexerError`,
/// `RegistryError`, `ChainVerificationError`), printed as `code: message`.
package struct CodedError<Code: ErrorCode>: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure.
    package var code: Code
    /// What was wrong, and what to do.
    package var message: String

    /// An error of `code`.
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code.name): \(message)" }
}
