import CityEncoding

/// Why the registry refused its configuration or its database. Typed by `code`; `message` says
/// what was wrong and what to do. (What a caller sees is a `WireError`, decided in RegistryService.)
package typealias RegistryError = CodedError<RegistryErrorCode>

/// The kinds of `RegistryError`.
package enum RegistryErrorCode: String, ErrorCode {
    /// The configuration is wrong.
    case config
    /// The database is not what this registry expects (a newer schema, a missing row).
    case database
}
