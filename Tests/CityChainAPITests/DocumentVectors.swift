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

/// One document's vector table checked against the encoder: every vector is written in the table
/// as the encoder writes it and decodes back, and every row of the table is a checked vector. The
/// `*VectorTests` suites call these from their own `@Test`s.
struct DocumentVectorTable {
    /// The document, relative to the repository root.
    let path: String
    /// The vectors the suite builds.
    let vectors: [DocumentVector]
    /// What `H` stands for in the cells.
    let hash: Hash32

    var document: String? { DocumentVectors.document(path) }

    /// Checks `v` against its cell and the document.
    func check(_ v: DocumentVector, rows: [String]) {
        #expect(DocumentVectors.expand(v.cell, hash: hash) == Hex.encode(v.bytes), "\(v.label)")
        #expect(v.decodesBack, "\(v.label) does not decode back to its value")
        let documented = rows.contains("| \(v.label) | \(v.cell) |")
        #expect(documented, "\(path) has no row \(v.label) | \(v.cell)")
    }

    /// Checks that every row of the document's table is one of `vectors`, and the value of H.
    func checkEveryRow() throws {
        let doc = try #require(document, "\(path) not found beside the tests")
        let rows = DocumentVectors.rows(doc)
        let checked = Set(vectors.map { "| \($0.label) | \($0.cell) |" })
        #expect(rows.count == vectors.count)
        for row in rows {
            let isChecked = checked.contains(row)
            #expect(isChecked, "\(path) has a vector row no test checks: \(row)")
        }
        #expect(Hex.encode(hash.bytes) == "40572d2357d261b7add0bd7c252cddad8b17d340751cc4c1a971100c1fa6c196")
        #expect(doc.contains("`40572d2357d261b7add0bd7c252cddad8b17d340751cc4c1a971100c1fa6c196`"))
    }
}

