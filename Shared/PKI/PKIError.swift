/// Why a certificate, key or TLS identity could not be made, loaded or accepted.
package struct PKIError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    package enum Code: Hashable, Sendable {
        /// A file could not be read or written.
        case unreadableFile
        /// PEM or DER content could not be parsed.
        case malformed
        /// A role string or role-bearing certificate is invalid.
        case invalidRole
        /// A certificate carries no CityChain role.
        case missingRole
        /// A certificate carries more than one CityChain role.
        case ambiguousRole
        /// A certificate or key could not be created.
        case creationFailed
    }

    /// The kind of failure.
    package var code: Code
    /// What went wrong and what to do.
    package var message: String
    /// Where the error was raised (for logs, never sent to peers).
    package var location: String

    /// Makes an error.
    package init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.location = "\(file):\(line)"
    }

    package var description: String { message }

    package static func == (a: PKIError, b: PKIError) -> Bool { a.code == b.code && a.message == b.message }
    package func hash(into h: inout Hasher) { h.combine(code); h.combine(message) }
}
