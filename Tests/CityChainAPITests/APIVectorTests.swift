import CityEncoding
import CityLedger
import Testing
@testable import CityChainAPI

/// The hex vectors of docs/PROTOCOL.md, Part 6: the same bytes, so the document stays true.
@Suite struct APIVectorTests {
    static let hash = Hash32.sha256(Array("block 7".utf8))

    @Test(arguments: [
        ("BlocksRequest", BlocksRequest(from: 7, maxCount: 64).canonicalBytes, "000000000000000700000040"),
        ("CommitsRequest", CommitsRequest(from: 1).canonicalBytes, "0000000000000001"),
        ("TxStatus.pending", TxStatus.pending.canonicalBytes, "01"),
        ("GossipItem.height", GossipItem.height(42).canonicalBytes, "04000000000000002a"),
        ("GossipSubscribe", GossipSubscribe(name: "v-1", advertise: "127.0.0.1:7101", height: 3).canonicalBytes,
         "00000003762d310000000e3132372e302e302e313a373130310000000000000003"),
    ])
    func vector(name: String, bytes: [UInt8], hex: String) {
        #expect(Hex.encode(bytes) == hex, "\(name)")
    }

    @Test func committedStatusVector() {
        let r = SubmitResponse(id: TransactionID(Self.hash), status: .committed(TxCommit(height: 7, index: 2, blockHash: Self.hash)))
        let hash = Hex.encode(Self.hash.bytes)
        #expect(Hex.encode(r.canonicalBytes) == hash + "02" + "0000000000000007" + "00000002" + hash)
    }
}
