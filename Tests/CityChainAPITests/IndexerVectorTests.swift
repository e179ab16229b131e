import CityEncoding
import CityLedger
import CityMerkle
import Foundation
import Testing
@preconcurrency import Crypto
@testable import CityChainAPI

/// The hex vectors of docs/PROTOCOL.md, Part 7 (docs/protocol/indexer.md): each row here is the
/// row of the document's table as written, and its hex is the encoder's bytes (H standing for
/// SHA-256("block 7")); the document is read too, so a row edited there without the code, or the
/// code without the row, fails.
@Suite struct IndexerVectorTests {
    static let hash = Hash32.sha256(Array("block 7".utf8))

    typealias Vector = DocumentVector

    static func row<T: CanonicalCodable & Equatable>(_ label: String, _ value: T, _ cell: String) -> Vector {
        DocumentVector.row(label, value, cell)
    }

    static let vectors: [Vector] = {
        let dataset = try! DatasetID("parking.sessions"), property = try! DatasetID("property.registry")
        let parcel = try! SubjectKey("parcel-42"), taxOffice = try! AgencyID("tax-office")
        let minutes = FieldPredicate(path: ["minutes"], op: .greaterOrEqual, value: "30")
        return [
            row("`ChainCursor(height: 7, index: 2)`", ChainCursor(height: 7, index: 2), "`0000000000000007` `00000002`"),
            row(#"`RecordQuery(dataset: "parking.sessions", subject: "bay-7", purpose: "")`"#,
                RecordQuery(dataset: dataset, subject: try! SubjectKey("bay-7"), purpose: ""),
                "`000000107061726b696e672e73657373696f6e73` `000000056261792d37` `00000000`"),
            row(#"`HistoryQuery(dataset: "property.registry", subject: "parcel-42", afterVersion: 2, limit: 50, purpose: "valuation")`"#,
                HistoryQuery(dataset: property, subject: parcel, afterVersion: 2, limit: 50, purpose: "valuation"),
                "`0000001170726f70657274792e7265676973747279` `0000000970617263656c2d3432` `0000000000000002` `00000032` `0000000976616c756174696f6e`"),
            row(#"`FieldPredicate` `zone="B"`"#, FieldPredicate(text: #"zone="B""#)!,
                "`00000001` `000000047a6f6e65` `01` `00000003224222`"),
            row("`FieldPredicate` `minutes>=30`", FieldPredicate(text: "minutes>=30")!,
                "`00000001` `000000076d696e75746573` `06` `000000023330`"),
            row("`FieldPredicate` `a.b!=1`", FieldPredicate(text: "a.b!=1")!,
                "`00000002` `00000001` `61` `00000001` `62` `02` `00000001` `31`"),
            row("`FieldPredicate` `paid?`", FieldPredicate(text: "paid?")!, "`00000001` `0000000470616964` `07` `00000000`"),
            row(#"`DatasetQuery(dataset: "parking.sessions", after: 7.2, fromTimeMillis: 1700000000000, toTimeMillis: 0, writer: "traffic-bureau", predicates: [minutes>=30], limit: 100, purpose: "")`"#,
                DatasetQuery(dataset: dataset, after: ChainCursor(text: "7.2")!, fromTimeMillis: 1_700_000_000_000, toTimeMillis: 0,
                             writer: try! AgencyID("traffic-bureau"), predicates: [minutes], limit: 100, purpose: ""),
                "`000000107061726b696e672e73657373696f6e73` `000000000000000700000002` `0000018bcfe56800` `0000000000000000` `01` "
                    + "`0000000e747261666669632d627572656175` `00000001` `00000001000000076d696e7574657306000000023330` `00000064` `00000000`"),
            row(#"`TransactionQuery(id: H, purpose: "dispute 17")`"#, TransactionQuery(id: TransactionID(hash), purpose: "dispute 17"),
                "H `0000000a64697370757465203137`"),
            row("`BlockQuery(height: 7)`", BlockQuery(height: 7), "`0000000000000007`"),
            row(#"`KeySharesQuery(dataset: "property.registry", after: 7.2, limit: 32, purpose: "")`"#,
                KeySharesQuery(dataset: property, after: ChainCursor(height: 7, index: 2), limit: 32, purpose: ""),
                "`0000001170726f70657274792e7265676973747279` `000000000000000700000002` `00000020` `00000000`"),
            row("`ValidatorChangesQuery(after: 7, anchor: true)`", ValidatorChangesQuery(after: 7, anchor: true), "`0000000000000007` `01`"),
            row(#"`AuditQuery(dataset: "property.registry", subject: "parcel-42", afterSequence: 10, limit: 20)`"#,
                AuditQuery(dataset: property, subject: parcel, afterSequence: 10, limit: 20),
                "`0000001170726f70657274792e7265676973747279` `0000000970617263656c2d3432` `000000000000000a` `00000014`"),
            row("`BlockEntry.withheld(leafHash: H)`", BlockAnswer.Entry.withheld(leafHash: hash), "`01` H"),
            row(#"`ProvenAgency(entry: AgencyEntry(id: "tax-office", name: "Tax Office", isAdmin: false, keys: [AgencyKeyState(key: AgencyKey(keyID: 1, material: .signing(H)), addedAtHeight: 0, revokedAtHeight: 7)]), proof: StateProof(terminal: .leaf(key: H, valueHash: H), siblings: []))`"#,
                ProvenAgency(entry: AgencyEntry(id: taxOffice, name: "Tax Office", isAdmin: false,
                                                keys: [AgencyKeyState(key: AgencyKey(keyID: 1, material: .signing(try! PublicKey(bytes: hash.bytes))),
                                                                      addedAtHeight: 0, revokedAtHeight: 7)]),
                             proof: StateProof(terminal: .leaf(key: hash, valueHash: hash), siblings: [])),
                "`0000000a7461782d6f6666696365` `0000000a546178204f6666696365` `00` `00000001` `00000001` `00` H `0000000000000000` `01` `0000000000000007` "
                    + "`01` H H `00000000`"),
            row(#"`DisclosureRecord(sequence: 11, reader: "tax-office", dataset: "property.registry", subject: "parcel-42", timeMillis: 1700000007000, purpose: "valuation", queryKind: 0x0201, height: 7)`"#,
                DisclosureRecord(sequence: 11, reader: taxOffice, dataset: property, subject: parcel, timeMillis: 1_700_000_007_000,
                                 purpose: "valuation", queryKind: IndexerAPI.record.rawValue, height: 7),
                "`000000000000000b` `0000000a7461782d6f6666696365` `0000001170726f70657274792e7265676973747279` `01` `0000000970617263656c2d3432` "
                    + "`0000018bcfe58358` `0000000976616c756174696f6e` `0201` `0000000000000007`"),
            row(#"`DisclosureRecord(sequence: 12, reader: "tax-office", dataset: "property.registry", subject: none, timeMillis: 1700000008000, purpose: "survey", queryKind: 0x0203, height: 8)`"#,
                DisclosureRecord(sequence: 12, reader: taxOffice, dataset: property, subject: nil, timeMillis: 1_700_000_008_000,
                                 purpose: "survey", queryKind: IndexerAPI.dataset.rawValue, height: 8),
                "`000000000000000c` `0000000a7461782d6f6666696365` `0000001170726f70657274792e7265676973747279` `00` `0000018bcfe58740` "
                    + "`00000006737572766579` `0203` `0000000000000008`"),
            row(#"`IndexerStatus(indexedHeight: 7, indexedHash: H, provenHeight: 6, chainHeight: 9, source: "127.0.0.1:7101")`"#,
                IndexerStatus(indexedHeight: 7, indexedHash: hash, provenHeight: 6, chainHeight: 9, source: "127.0.0.1:7101"),
                "`0000000000000007` H `0000000000000006` `0000000000000009` `0000000e3132372e302e302e313a37313031`"),
        ]
    }()

    /// docs/protocol/indexer.md's table.
    static let table = DocumentVectorTable(path: "docs/protocol/indexer.md", vectors: vectors, hash: hash)
    static let document = table.document
    static let documentRows = DocumentVectors.rows(document)

    @Test(arguments: vectors)
    func vector(_ v: Vector) { Self.table.check(v, rows: Self.documentRows) }

    @Test func everyDocumentedVectorIsChecked() throws { try Self.table.checkEveryRow() }

    /// Part 3's block header and commit certificate vectors, concatenated, are a `CertifiedHeader`
    /// that verifies against the genesis set of seeds 0x10…0x13 (docs/protocol/indexer.md).
    @Test func certifiedHeaderFromPart3() throws {
        let doc = try #require(DocumentVectors.document("docs/protocol/ledger.md"))
        func block(after heading: String) throws -> String {
            let start = try #require(doc.range(of: "\n### \(heading)\n"))
            let open = try #require(doc.range(of: "```\n", range: start.upperBound..<doc.endIndex))
            let close = try #require(doc.range(of: "\n```", range: open.upperBound..<doc.endIndex))
            return doc[open.upperBound..<close.lowerBound].filter { !$0.isWhitespace }
        }
        let bytes = try #require(Hex.decode(try block(after: "Block header") + block(after: "Commit certificate")))
        let certified = try CertifiedHeader(canonicalBytes: bytes)
        #expect(certified.canonicalBytes == bytes)
        #expect(certified.height == 7)
        let keys = (0x10...0x13).map { try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: UInt8($0), count: 32)) }
        let set = try ValidatorSet(keys.enumerated().map { Validator(publicKey: $0.element.ledgerPublicKey, power: 10, name: "v\($0.offset)") })
        // The signatures verify; the header's validatorSetHash is part 3's placeholder (SHA-256("validators")),
        // so the whole check, which also compares that hash with the set's, refuses it.
        try certified.certificate.verify(header: certified.header, validatorSet: set)
        #expect(throws: ProofFailure.self) { try certified.verify(validatorSet: set) }
    }
}
