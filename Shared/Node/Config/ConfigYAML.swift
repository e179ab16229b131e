import Configuration
import Foundation
import Yams

/// A config file's YAML, read twice: Yams lists every key the file sets (so unknown keys and
/// misplaced sections are caught, with their line), and swift-configuration's `YAMLSnapshot`
/// reads and converts the values. Nested sections and dotted keys are the same key
/// (`tls: {cert: x}` and `tls.cert: x`).
struct ConfigYAML: Sendable {
    /// One key the file sets.
    struct Entry: Sendable, Equatable {
        /// What the file holds there.
        enum Shape: Sendable, Equatable { case scalar, null, sequence, mapping }
        /// The dotted key.
        var key: String
        /// Its line in the file (1-based), when known.
        var line: Int?
        /// What it holds.
        var shape: Shape
    }

    /// Every key set, in file order (a section that is a known key counts as one entry).
    let entries: [Entry]
    /// The values, read through swift-configuration.
    let snapshot: YAMLSnapshot

    /// Parses `text` of the file at `path`; `isKey` says which dotted paths are settings (the walk
    /// stops there, so a mapping where a value belongs is reported, not descended into).
    init(text: String, path: String, isKey: (String) -> Bool) throws(ConfigError) {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw ConfigError(.badFile, key: nil, source: path, problem: "\(path) is not valid YAML (\(Self.firstLine(of: error)))",
                              fix: "fix the syntax there: KEY: VALUE per line, sections indented under their name (see deploy/config/)")
        }
        var entries: [Entry] = []
        if let root {
            guard let mapping = root.mapping else {
                throw ConfigError(.badFile, key: nil, source: path, problem: "\(path) is not a YAML mapping of keys to values",
                                  fix: "write KEY: VALUE lines (see deploy/config/)")
            }
            var pending: [(prefix: String, key: Node, value: Node)] = mapping.map { ("", $0.key, $0.value) }
            var visited = 0
            while !pending.isEmpty, visited < 100_000 {
                visited += 1
                let (prefix, k, v) = pending.removeFirst()
                guard let name = k.string else {
                    throw ConfigError(.badFile, key: nil, source: path, problem: "\(path) has a key that is not text under '\(prefix)'",
                                      fix: "write keys as plain words")
                }
                let key = prefix.isEmpty ? name : prefix + "." + name
                let line = (k.mark?.line).map { $0 }
                if let m = v.mapping, !isKey(key) {
                    pending.append(contentsOf: m.map { (key, $0.key, $0.value) })
                } else if v.mapping != nil {
                    entries.append(Entry(key: key, line: line, shape: .mapping))
                } else if v.sequence != nil {
                    entries.append(Entry(key: key, line: line, shape: .sequence))
                } else if v.null != nil {
                    entries.append(Entry(key: key, line: line, shape: .null))
                } else {
                    entries.append(Entry(key: key, line: line, shape: .scalar))
                }
            }
        }
        self.entries = entries
        do {
            // An empty (or comments-only) file sets nothing; swift-configuration wants a mapping.
            let bytes = Array((root == nil ? "{}" : text).utf8)
            snapshot = try YAMLSnapshot(data: bytes.span.bytes, providerName: path, parsingOptions: .default)
        } catch {
            throw ConfigError(.badFile, key: nil, source: path, problem: "\(path) cannot be read as a config (\(error))",
                              fix: "values are single values or lists of single values (see deploy/config/)")
        }
    }

    /// The first line of a Yams error (the rest is a snippet of the file).
    private static func firstLine(of error: any Error) -> String {
        String(String(describing: error).split(separator: "\n", maxSplits: 1).first ?? "")
    }
}
