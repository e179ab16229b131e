import CityEncoding
import Foundation
import Testing

/// One row of a protocol document's test-vector table, beside the encoder's bytes.
struct DocumentVector: Sendable, CustomTestStringConvertible {
    /// The first cell of the document's row.
    var label: String
    /// The second cell, as written: hex groups in backticks, and H.
    var cell: String
    var bytes: [UInt8]
    /// The bytes decode to the value they were encoded from.
    var decodesBack: Bool
    var testDescription: String { label }

    /// The row for `value`, with its canonical bytes and whether they decode back to it.
    static func row<T: CanonicalCodable & Equatable>(_ label: String, _ value: T, _ cell: String) -> DocumentVector {
        let bytes = value.canonicalBytes
        return DocumentVector(label: label, cell: cell, bytes: bytes, decodesBack: (try? T(canonicalBytes: bytes)) == value)
    }
}

/// Reading the test-vector tables of docs/protocol/*.md (shared by the *VectorTests suites).
enum DocumentVectors {
    /// The document at `path` (relative to the repository root, found from this file's place).
    static func document(_ path: String) -> String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// The rows of the table under the document's "## Test vectors" heading.
    static func rows(_ document: String?) -> [String] {
        guard let doc = document, let start = doc.range(of: "## Test vectors") else { return [] }
        return doc[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
            .drop { !$0.hasPrefix("|") }.prefix { $0.hasPrefix("|") }
            .filter { !$0.hasPrefix("| value") && !$0.hasPrefix("| ---") }.map(String.init)
    }

    /// The hex a cell stands for: backticked groups concatenated, H expanded to `hash`.
    static func expand(_ cell: String, hash: Hash32) -> String? {
        var out = ""
        for token in cell.split(separator: " ") {
            if token == "H" { out += Hex.encode(hash.bytes); continue }
            guard token.count >= 2, token.first == "`", token.last == "`" else { return nil }
            out += token.dropFirst().dropLast()
        }
        return out
    }
}
