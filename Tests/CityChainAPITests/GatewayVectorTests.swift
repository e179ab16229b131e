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
            row("`SavedAnswer(kind: 0x0302, query: TxStatusRequest(id: H), answer: [0xAB])`",
                SavedAnswer(kind: GatewayAPI.receipt, query: TxStatusRequest(id: id).canonicalBytes, answer: [0xAB]),
                "`4343414e53573031` `0302` `00000020` H `00000001` `ab`"),
            row(#"`ForwardedQuery(agency: "tax-office", kind: 0x0201, payload: RecordQuery(dataset: "property.registry", subject: "parcel-42", purpose: "valuation"))`"#,
                ForwardedQuery(agency: try! AgencyID("tax-office"), kind: IndexerAPI.record, payload: query.canonicalBytes),
                "`0000000a7461782d6f6666696365` `0201` `0000002f` `0000001170726f70657274792e7265676973747279` "
                    + "`0000000970617263656c2d3432` `0000000976616c756174696f6e`"),
        ]
    }()

    /// docs/protocol/gateway.md's table.
    static let table = DocumentVectorTable(path: "docs/protocol/gateway.md", vectors: vectors, hash: hash)
    static let document = table.document
    static let documentRows = DocumentVectors.rows(document)

    @Test(arguments: vectors)
    func vector(_ v: Vector) { Self.table.check(v, rows: Self.documentRows) }

    @Test func everyDocumentedVectorIsChecked() throws { try Self.table.checkEveryRow() }

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
