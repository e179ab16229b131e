import CityEncoding

/// Why the indexer refused something or cannot go on. Typed by `code`; `message` says what was
/// wrong and what to do.
package typealias IndexerError = CodedError<IndexerErrorCode>

/// The kinds of `IndexerError`.
package enum IndexerErrorCode: String, ErrorCode {
    /// The genesis file does not validate.
    case badGenesis
    /// A block from a validator does not verify; it is not indexed.
    case refusedBlock
    /// The database is not what this indexer expects (another chain, another writer, a newer schema).
    case database
    /// The configuration is wrong.
    case config
}
