import CityEncoding
import Foundation
import Testing
@testable import CityChainAPI

/// The hex vectors of docs/protocol/registry.md: each row here is the row of the document's table
/// as written, and its hex is the encoder's bytes (H standing for SHA-256("block 7")); the
/// document is read too, so a row edited there without the code, or the code without the row, fails.
@Suite struct RegistryVectorTests {
    static let hash = Hash32.sha256(Array("block 7".utf8))

    struct Vector: Sendable, CustomTestStringConvertible {
        /// The first cell of the document's row.
        var label: String
        /// The second cell, as written: hex groups in backticks, and H.
        var cell: String
        var bytes: [UInt8]
        /// The bytes decode to the value they were encoded from.
        var decodesBack: Bool
        var testDescription: String { label }
    }

    static func row<T: CanonicalCodable & Equatable>(_ label: String, _ value: T, _ cell: String) -> Vector {
        let bytes = value.canonicalBytes
        return Vector(label: label, cell: cell, bytes: bytes, decodesBack: (try? T(canonicalBytes: bytes)) == value)
    }

    static let vectors: [Vector] = [
        row("`ServiceKind.indexer`", ServiceKind.indexer, "`02`"),
        row(#"`ServiceKey(kind: validator, id: "validator-1")`"#, ServiceKey(kind: .validator, id: "validator-1"),
            "`01` `0000000b76616c696461746f722d31`"),
        row(#"`HeartbeatRequest(kind: gateway, id: "gw-1")`"#, HeartbeatRequest(kind: .gateway, id: "gw-1"), "`03` `0000000467772d31`"),
        row("`LookupRequest(kind: none)`", LookupRequest(kind: nil), "`00`"),
        row("`LookupRequest(kind: indexer)`", LookupRequest(kind: .indexer), "`01` `02`"),
        row(#"`RegisterRequest(kind: validator, id: "validator-1", address: "127.0.0.1:7101", certificateFingerprint: H, nodeKey: empty, leaseMillis: 15000, detail: "citychain 0.1")`"#,
            RegisterRequest(kind: .validator, id: "validator-1", address: "127.0.0.1:7101", certificateFingerprint: hash, nodeKey: [],
                            leaseMillis: 15_000, detail: "citychain 0.1"),
            "`01` `0000000b76616c696461746f722d31` `0000000e3132372e302e302e313a37313031` H `00000000` `0000000000003a98` `0000000d63697479636861696e20302e31`"),
        row(#"`ServiceEntry(kind: indexer, id: "indexer-1", address: "10.0.0.5:7201", certificateFingerprint: H, nodeKey: empty, leaseMillis: 15000, registeredAtMillis: 1700000000000, expiresAtMillis: 1700000015000, detail: "")`"#,
            ServiceEntry(kind: .indexer, id: "indexer-1", address: "10.0.0.5:7201", certificateFingerprint: hash, nodeKey: [], leaseMillis: 15_000,
                         registeredAtMillis: 1_700_000_000_000, expiresAtMillis: 1_700_000_015_000, detail: ""),
            "`02` `00000009696e64657865722d31` `0000000d31302e302e302e353a37323031` H `00000000` `0000000000003a98` `0000018bcfe56800` `0000018bcfe5a298` `00000000`"),
        row(#"`WatchEvent.removed(ServiceKey(kind: indexer, id: "indexer-1"), expired)`"#,
            WatchEvent.removed(ServiceKey(kind: .indexer, id: "indexer-1"), .expired), "`03` `02` `00000009696e64657865722d31` `01`"),
        row("`WatchEvent.keepalive(registryTimeMillis: 1700000000000, revision: 42)`",
            WatchEvent.keepalive(registryTimeMillis: 1_700_000_000_000, revision: 42), "`04` `0000018bcfe56800` `000000000000002a`"),
        row("`WatchEvent.snapshot(LookupAnswer(registryTimeMillis: 1700000000000, revision: 7, entries: []))`",
            WatchEvent.snapshot(LookupAnswer(registryTimeMillis: 1_700_000_000_000, revision: 7, entries: [])),
            "`00` `0000018bcfe56800` `0000000000000007` `00000000`"),
    ]

    /// docs/protocol/registry.md, found from this file's place in the repository.
    static let document: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try? String(contentsOf: root.appendingPathComponent("docs/protocol/registry.md"), encoding: .utf8)
    }()

    /// The rows of the document's test-vector table.
    static var documentRows: [String] {
        guard let doc = document, let start = doc.range(of: "## Test vectors") else { return [] }
        return doc[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
            .drop { !$0.hasPrefix("|") }.prefix { $0.hasPrefix("|") }
            .filter { !$0.hasPrefix("| value") && !$0.hasPrefix("| ---") }.map(String.init)
    }

    /// The hex a cell stands for: backticked groups concatenated, H expanded.
    static func expand(_ cell: String) -> String? {
        var out = ""
        for token in cell.split(separator: " ") {
            if token == "H" { out += Hex.encode(hash.bytes); continue }
            guard token.count >= 2, token.first == "`", token.last == "`" else { return nil }
            out += token.dropFirst().dropLast()
        }
        return out
    }

    @Test(arguments: vectors)
    func vector(_ v: Vector) {
        #expect(Self.expand(v.cell) == Hex.encode(v.bytes), "\(v.label)")
        #expect(v.decodesBack, "\(v.label) does not decode back to its value")
        let documented = Self.documentRows.contains("| \(v.label) | \(v.cell) |")
        #expect(documented, "docs/protocol/registry.md has no row \(v.label) | \(v.cell)")
    }

    @Test func everyDocumentedVectorIsChecked() throws {
        try #require(Self.document != nil, "docs/protocol/registry.md not found beside the tests")
        let checked = Set(Self.vectors.map { "| \($0.label) | \($0.cell) |" })
        #expect(Self.documentRows.count == Self.vectors.count)
        for row in Self.documentRows {
            let isChecked = checked.contains(row)
            #expect(isChecked, "docs/protocol/registry.md has a vector row no test checks: \(row)")
        }
        #expect(Hex.encode(Self.hash.bytes) == "40572d2357d261b7add0bd7c252cddad8b17d340751cc4c1a971100c1fa6c196")
        #expect(Self.document!.contains("`40572d2357d261b7add0bd7c252cddad8b17d340751cc4c1a971100c1fa6c196`"))
    }
}
