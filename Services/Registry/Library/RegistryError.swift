/// Why the registry refused its configuration or its database. Typed by `code`; `message` says
/// what was wrong and what to do. (What a caller sees is a `WireError`, decided in RegistryService.)
package struct RegistryError: Error, Hashable, Sendable, CustomStringConvertible {
    package enum Code: String, Sendable {
        /// The configuration is wrong.
        case config
        /// The database is not what this registry expects (a newer schema, a missing row).
        case database
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code.rawValue): \(message)" }
}
