import CityEncoding
import Testing
@testable import CityLedger

/// A transaction carries its body's encoding and id from the decoder (or its construction) on, and
/// recomputes them when its body changes; equality is the content's.
@Suite struct DecodeOnceTests {
    typealias F = Fixture

    @Test func decodedTransactionsKeepTheirBytesAndId() throws {
        let tx = F.tx("tax-office", F.put("parking.sessions", "bay-1", Array("{}".utf8)))
        let decoded = try SignedTransaction(canonicalBytes: tx.canonicalBytes)
        #expect(decoded == tx && decoded.hashValue == tx.hashValue)
        #expect(decoded.bodyBytes == tx.body.canonicalBytes && decoded.id == tx.body.id)
        #expect(decoded.signingMessage == tx.body.signingMessage)
        #expect(decoded.canonicalBytes == tx.canonicalBytes, "encoding reuses the kept body bytes")
        #expect(decoded.decoded && !tx.decoded)
    }

    @Test func changingTheBodyRecomputesAndForgetsTheDecoderCheck() throws {
        var tx = try SignedTransaction(canonicalBytes: F.tx("tax-office", F.put("parking.sessions", "bay-1", [1])).canonicalBytes)
        let before = tx.id
        tx.body.nonce += 1
        #expect(tx.id != before && tx.id == tx.body.id && tx.bodyBytes == tx.body.canonicalBytes)
        #expect(!tx.decoded, "a value changed in memory is checked by checkStateless's re-decode again")
    }
}
