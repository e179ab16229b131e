import CityEncoding
import Crypto
import Foundation
import Testing
@testable import CityLedger

/// The vectors an outside client needs beyond the transaction vectors (issue 16 item 1): the
/// genesis file and its hash, a sealed payload opened with a known key (RFC 9180 HPKE as part 3
/// describes it), a block, state-tree keys. Each value is read from docs/protocol/ledger.md itself
/// where it can be (the genesis JSON), and every hex below must appear in the document.
@Suite struct SpecVectorTests {
    typealias F = Fixture

    static let document: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("docs/protocol/ledger.md"), encoding: .utf8)) ?? ""
    }()

    /// The document without whitespace, so hex wrapped over lines is found whole.
    static let packed = String(document.unicodeScalars.filter { !CharacterSet.whitespacesAndNewlines.contains($0) }.map(Character.init))

    func documented(_ hex: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Self.packed.contains(hex), "docs/protocol/ledger.md does not show \(hex.prefix(24))…", sourceLocation: sourceLocation)
    }

    static let genesisHex = """
        00000009636974792d737065630000018bcfe56800000000015c9c6df261c9cb840475776aaefcd944b405328fab28f9b3a95ef40490d3de8400000000\
        0000000a000000027630000000010000000200000008686f73706974616c00000008486f73706974616c000000000200000001006e7a1cdd29b0b78fd1\
        3af4c5598feff4ef2a97166e3ca6f2e4fbfccd80505bf100000002013286894cd2845a6db6a28fbf0677605f80e5a62385bf4e10a790ae5fde36736b0000\
        000761646d696e2d610000000a436974792041646d696e010000000100000001008a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b4\
        0f6f5c000000010000000d6865616c74682e76697369747300000008686f73706974616c020000000876697369742f763100000000
        """
    static let genesisHash = "d22104e360fe87bd3b1b28d7440fe4998872bf8e765828e7832e1d0948f20d20"
    static let validatorSetHash = "20fe25e7767aa31ce4b145f02cd37df73c919e0c3c6bb6ebf67517257d7ff1f3"

    /// The genesis JSON of the document parses to the documented canonical bytes and hashes, in file order.
    @Test func genesis() throws {
        let doc = Self.document
        let start = try #require(doc.range(of: "#### Genesis vector"))
        let open = try #require(doc.range(of: "```json\n", range: start.upperBound..<doc.endIndex))
        let close = try #require(doc.range(of: "\n```", range: open.upperBound..<doc.endIndex))
        let genesis = try Genesis.fromJSON(Data(doc[open.upperBound..<close.lowerBound].utf8))
        #expect(Hex.encode(genesis.canonicalBytes) == Self.genesisHex)
        #expect(genesis.canonicalBytes.count == 299)
        #expect("\(genesis.hash)" == Self.genesisHash)
        #expect("\(try ValidatorSet(genesis.validators).hash)" == Self.validatorSetHash)
        #expect(genesis.agencies.map(\.id.value) == ["hospital", "admin-a"], "file order, not sorted")
        // The keys are the fixture's seed keys, as the document says.
        #expect(genesis.agencies[0].keys[1].material == .sealing(SealingPublicKey(F.sealingKey(0x45).publicKey)))
        for hex in [Self.genesisHex, Self.genesisHash, Self.validatorSetHash] { documented(hex) }
        // Reordering the file changes the hash.
        var swapped = genesis
        swapped.agencies.reverse()
        #expect(swapped.hash != genesis.hash)
    }

    static let sealedHex = """
        0000000100000008686f73706974616c00000002000000206350e733c52574ed5a96f568b0f59ced1c327c0387fd96f6064bb7a666f4715200000030a64f\
        b1836935f6da331cd67b9e9e9422dd1f80d155e121b898259e617f964729006c8b5928e9b58d455733c48681c9090000002e3c9af0a57a461d0bd68fcb2d\
        b34a13a27e0fc65dd84f4038919651912ea8398eb702c3f7cd5c82e51acdea05b8fb
        """

    /// The documented sealed payload opens with the hospital's key (HPKE base mode, info and AAD as documented).
    @Test func sealedPayload() throws {
        let sealed = try SealedPayload(canonicalBytes: try #require(Hex.decode(Self.sealedHex)))
        #expect(sealed.canonicalBytes == Hex.decode(Self.sealedHex))
        let key = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: [UInt8](repeating: 0x45, count: 32))
        #expect(try sealed.open(as: F.id("hospital"), keyID: 2, privateKey: key) == Array(#"{"allergy":"none"}"#.utf8))
        // By hand, RFC 9180 single-shot: SetupBaseR(enc, skR, info) then Open(aad = canonical Signer, wrappedKey).
        let entry = sealed.recipients[0]
        var recipient = try HPKE.Recipient(privateKey: key, ciphersuite: .Curve25519_SHA256_ChachaPoly, info: Data("citychain/seal/v1".utf8),
                                           encapsulatedKey: Data(entry.encapsulatedKey))
        let contentKey = try recipient.open(entry.wrappedKey, authenticating: Signer(agency: F.id("hospital"), keyID: 2).canonicalBytes)
        #expect(contentKey.count == 32)
        let plain = try ChaChaPoly.open(try ChaChaPoly.SealedBox(combined: sealed.ciphertext), using: SymmetricKey(data: contentKey))
        #expect(Array(plain) == Array(#"{"allergy":"none"}"#.utf8))
        documented(Self.sealedHex)
    }

    static let blockHex = """
        0000000e63697479636861696e2d7465737400000000000000070000018bcfe58358a56e2a48b9d79b3b1e69ce262b5725591f340c427b75c8203fb9da\
        5969bdb4e9e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85500000000ee8250fb76e094b34b471f13a73dbbe51d1ae142e9\
        df59d7c0d31ec20f0a0a8e4ba69735ca53765ed6a709edb56c6ea236b7193a3b29a6b390c346f0f4340e4e66d18af4cf3d736390761abbea054bcedb1819\
        1b65128c2b057cdef5071a16985c9c6df261c9cb840475776aaefcd944b405328fab28f9b3a95ef40490d3de840000000000000000
        """

    @Test func block() throws {
        var header = F.vectorHeader
        header.transactionCount = 0
        header.transactionsRoot = Block.transactionsRoot([])
        let block = Block(header: header, transactions: [])
        #expect(Hex.encode(block.canonicalBytes) == Self.blockHex)
        #expect(try Block(canonicalBytes: try #require(Hex.decode(Self.blockHex))) == block)
        documented(Self.blockHex)
    }

    @Test func stateKeys() {
        let record = "\(StateKey.record(F.ds("health.visits"), F.subject("patient-1")).treeKey)"
        let grant = "\(StateKey.grant(F.ds("health.visits"), F.id("tax-office")).treeKey)"
        #expect(record == "11ecb1b26f21474d90c6d3d3cbc8618c78b0ffa44a2381f887cb121be01ed512")
        #expect(grant == "e5b6a0c853175d565c86cf975467e12fdf10f83a4ba4bbb7418b589244005f66")
        // By hand: SHA-256(string "citychain/state/v1" ‖ u8 4 ‖ string dataset ‖ string subject).
        var w = CanonicalWriter()
        w.string("citychain/state/v1"); w.u8(4); w.string("health.visits"); w.string("patient-1")
        #expect("\(Hash32.sha256(w.bytes))" == record)
        documented(record)
        documented(grant)
    }
}
