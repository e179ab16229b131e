import CityEncoding
import Foundation
import Testing
@testable import CityChainAPI

/// The hex vectors of docs/protocol/registry.md: each row here is the row of the document's table
/// as written, and its hex is the encoder's bytes (H standing for SHA-256("block 7")); the
/// document is read too, so a row edited there without the code, or the code without the row, fails.
@Suite struct RegistryVectorTests {
    static let hash = Hash32.sha256(Array("block 7".utf8))

    typealias Vector = DocumentVector

    static func row<T: CanonicalCodable & Equatable>(_ label: String, _ value: T, _ cell: String) -> Vector {
        DocumentVector.row(label, value, cell)
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

    /// docs/protocol/registry.md's table.
    static let table = DocumentVectorTable(path: "docs/protocol/registry.md", vectors: vectors, hash: hash)
    static let document = table.document
    static let documentRows = DocumentVectors.rows(document)

    @Test(arguments: vectors)
    func vector(_ v: Vector) { Self.table.check(v, rows: Self.documentRows) }

    @Test func everyDocumentedVectorIsChecked() throws { try Self.table.checkEveryRow() }
}
