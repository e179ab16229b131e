/// Why the indexer refused something or cannot go on. Typed by `code`; `message` says what was
/// wrong and what to do.
package struct IndexerError: Error, Hashable, Sendable, CustomStringConvertible {
    package enum Code: String, Sendable {
        /// The genesis file does not validate.
        case badGenesis
        /// A block from a validator does not verify; it is not indexed.
        case refusedBlock
        /// The database is not what this indexer expects (another chain, another writer, a newer schema).
        case database
        /// The configuration is wrong.
        case config
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code.rawValue): \(message)" }
}
