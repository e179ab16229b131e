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

    @Test func theEncodedSizeIsTheEncodingsLengthWithoutEncoding() throws {
        let single = F.tx("tax-office", F.put("parking.sessions", "bay-1", Array("{\"zone\":\"B\"}".utf8)))
        let cosigned = F.tx("admin-a", .changeValidatorSet(changes: [ValidatorChange(publicKey: F.signingKey(0x20).ledgerPublicKey, power: 5, name: "v")]),
                            cosigners: ["admin-c"])
        for tx in [single, cosigned] {
            #expect(tx.encodedSize == tx.canonicalBytes.count, "\(tx.signatures.count) signature(s)")
        }
    }

    @Test func decodedStateEntriesFollowTheirBytes() throws {
        var s = F.state()
        let ds = try DatasetID("parking.sessions")
        let before = try #require(s.dataset(ds))
        #expect(s.dataset(ds) == before, "the second read is the cached value")
        let copy = s
        _ = s.applyBlock([F.tx("land-bureau", .defineDataset(id: try DatasetID("parking.permits"), sensitivity: .public, schema: "permit/v1", writers: []))], height: 1)
        #expect(try s.dataset(DatasetID("parking.permits")) != nil && copy.dataset(DatasetID("parking.permits")) == nil,
                "a copy that did not write the entry does not see it through the shared cache")
    }
}
