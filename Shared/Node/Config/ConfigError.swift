/// A config problem: which key, where it came from, what is wrong and what to do (docs/CONFIG.md).
///
/// `description` is the whole sentence a process prints before it exits, e.g.
/// `key 'block.intervalMillis' in /etc/citychain/validator.yaml (line 12) must be an integer (got "fast"); write a whole number, e.g. block.intervalMillis: 500`.
package struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The class of problem, for tests and for callers that react to one.
    package enum Kind: String, Sendable, Equatable {
        /// The file names a key the service does not have.
        case unknownKey
        /// A value of the wrong type (a word where a number goes, a list where one value goes, …).
        case wrongType
        /// A required key is set nowhere (file, environment, flag).
        case missing
        /// A path that cannot be read, is not the kind of file expected, or is not a directory.
        case badPath
        /// A value of the right type that is not allowed (out of range, not HOST:PORT, …).
        case invalidValue
        /// The config file itself cannot be read or parsed.
        case badFile
        /// Any other problem (free text; the validator's older checks).
        case other
    }

    /// The class of problem.
    package var kind: Kind
    /// The key (`tls.cert`), when the problem is about one.
    package var key: String?
    /// Where the value came from: the config file's path or the environment variable's name.
    package var source: String?
    /// What is wrong, naming the key and its source.
    package var problem: String
    /// What to do about it.
    package var fix: String

    /// A problem about `key`.
    package init(_ kind: Kind, key: String?, source: String?, problem: String, fix: String) {
        self.kind = kind
        self.key = key
        self.source = source
        self.problem = problem
        self.fix = fix
    }

    /// A free-text problem (already naming the key and the fix).
    package init(_ description: String) {
        self.init(.other, key: nil, source: nil, problem: description, fix: "")
    }

    /// The problem and its fix in one sentence.
    package var description: String {
        if fix.isEmpty { return problem }
        return problem + (kind == .missing ? ": " : "; ") + fix
    }
}

/// Every problem found in one pass over a config (a file with three bad keys reports all three).
package struct ConfigErrors: Error, CustomStringConvertible, Equatable, Sendable {
    /// The problems, in schema order.
    package var errors: [ConfigError]

    /// Wraps the problems found.
    package init(_ errors: [ConfigError]) { self.errors = errors }

    /// One problem per line.
    package var description: String { errors.map(\.description).joined(separator: "\n") }

    /// The problem about `key`, if there is one.
    package func about(_ key: String) -> ConfigError? { errors.first { $0.key == key } }
}
