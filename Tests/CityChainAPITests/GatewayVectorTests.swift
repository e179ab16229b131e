import CityEncoding
import CityLedger
import Foundation
import Testing
@testable import CityChainAPI

/// The hex vectors of docs/PROTOCOL.md, Part 9 (docs/protocol/gateway.md): each row here is the
/// row of the document's table as written, and its hex is the encoder's bytes (H standing for
/// SHA-256("block 7")); the document is read too, so a row edited there without the code, or the
/// code without the row, fails.
@Suite struct GatewayVectorTests {
    static let hash = Hash32.sha256(Array("block 7".utf8))

    typealias Vector = DocumentVector

    static func row<T: CanonicalCodable & Equatable>(_ label: String, _ value: T, _ cell: String) -> Vector {
        DocumentVector.row(label, value, cell)
    }

    static let vectors: [Vector] = {
        let id = TransactionID(hash)
        let upstream = UpstreamHealth(address: "127.0.0.1:7101", healthy: true, height: 7, detail: "ok")
        let upstreamHex = "`0000000e3132372e302e302e313a37313031` `01` `0000000000000007` `000000026f6b`"
        let query = RecordQuery(dataset: try! DatasetID("property.registry"), subject: try! SubjectKey("parcel-42"), purpose: "valuation")
        return [
            row("`GatewayOutcome(id: H, state: .pending)`", GatewayOutcome(id: id, state: .pending), "H `00`"),
            row("`GatewayOutcome(id: H, state: .rejected(.replayed(H)))`", GatewayOutcome(id: id, state: .rejected(.replayed(id))),
                "H `02` `0006` H"),
            row(#"`UpstreamHealth(address: "127.0.0.1:7101", healthy: true, height: 7, detail: "ok")`"#, upstream, upstreamHex),
            row(#"`GatewayStatus(chainID: "city", headHeight: 7, validators: [UpstreamHealth above], indexers: [])`"#,
                GatewayStatus(chainID: "city", headHeight: 7, validators: [upstream], indexers: []),
                "`0000000463697479` `0000000000000007` `00000001` " + upstreamHex + " `00000000`"),
            row("`TxStatusRequest(id: H)`", TxStatusRequest(id: id), "H"),
            row(#"`ForwardedQuery(agency: "tax-office", kind: 0x0201, payload: RecordQuery(dataset: "property.registry", subject: "parcel-42", purpose: "valuation"))`"#,
                ForwardedQuery(agency: try! AgencyID("tax-office"), kind: IndexerAPI.record, payload: query.canonicalBytes),
                "`0000000a7461782d6f6666696365` `0201` `0000002f` `0000001170726f70657274792e7265676973747279` "
                    + "`0000000970617263656c2d3432` `0000000976616c756174696f6e`"),
        ]
    }()

    /// docs/protocol/gateway.md.
    static let document = DocumentVectors.document("docs/protocol/gateway.md")

    /// The rows of the document's test-vector table.
    static var documentRows: [String] { DocumentVectors.rows(document) }

    /// The hex a cell stands for: backticked groups concatenated, H expanded.
    static func expand(_ cell: String) -> String? { DocumentVectors.expand(cell, hash: hash) }

    @Test(arguments: vectors)
    func vector(_ v: Vector) {
        #expect(Self.expand(v.cell) == Hex.encode(v.bytes), "\(v.label)")
        #expect(v.decodesBack, "\(v.label) does not decode back to its value")
        let documented = Self.documentRows.contains("| \(v.label) | \(v.cell) |")
        #expect(documented, "docs/protocol/gateway.md has no row \(v.label) | \(v.cell)")
    }

    @Test func everyDocumentedVectorIsChecked() throws {
        try #require(Self.document != nil, "docs/protocol/gateway.md not found beside the tests")
        let checked = Set(Self.vectors.map { "| \($0.label) | \($0.cell) |" })
        #expect(Self.documentRows.count == Self.vectors.count)
        for row in Self.documentRows {
            let isChecked = checked.contains(row)
            #expect(isChecked, "docs/protocol/gateway.md has a vector row no test checks: \(row)")
        }
        #expect(Hex.encode(Self.hash.bytes) == "40572d2357d261b7add0bd7c252cddad8b17d340751cc4c1a971100c1fa6c196")
        #expect(Self.document!.contains("`40572d2357d261b7add0bd7c252cddad8b17d340751cc4c1a971100c1fa6c196`"))
    }

    /// The saved-receipt file of the document's "Saved receipts": the magic, kind 0x0301, the
    /// TxStatusRequest and the receipt, each as bytes.
    @Test func savedReceiptLayout() throws {
        let query = TxStatusRequest(id: TransactionID(Self.hash)).canonicalBytes
        let saved = SavedAnswer(kind: GatewayAPI.submit, query: query, answer: [0xaa])
        #expect(Hex.encode(saved.canonicalBytes) == "4343414e53573031" + "0301" + "00000020" + Hex.encode(Self.hash.bytes) + "00000001aa")
        #expect(try SavedAnswer(canonicalBytes: saved.canonicalBytes) == saved)
        #expect(Self.document?.contains("\"CCANSW01\" (4343414e53573031)") == true)
    }
}
