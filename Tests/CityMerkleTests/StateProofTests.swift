import CityTestSupport
import CityEncoding
import CityMerkle
import Testing

/// Presence and absence proofs of the state map: every key, tampering, vectors, malformed bytes.
@Suite struct StateProofTests {
    /// Presence of key-b → "beta" in the three-entry tree (docs/protocol/merkle.md).
    static let presenceVector = "01"
        + " a30534a53b23547377ddccbd1ac85a8a84c13db43493c16e55a6abc7b0eba634"
        + " f44e64e75f3948e9f73f8dfa94721c4ce8cbb4f265c4790c702b2d41cfbf2753"
        + " 00000002"
        + " 0b1ac6984ba900bac26d9c16c7b2a1d3f306e50bea876c9323f426118275f410"
        + " e2d3e060d0b0ccfcde8f0db4bd7b01f89600cf945965b3625d9e1fb651b02f5f"
    /// Absence of key-d: its path ends at key-c's leaf (docs/protocol/merkle.md).
    static let absenceVector = "01"
        + " 49043acf9056472a214242c2d15f3087c2d024b0d39ee858c60712b2354f3926"
        + " be9d587defa1f0c09ef49eb17e206983a5f8f8289e4281860bd0ee5a19592c67"
        + " 00000001"
        + " 5a41189b4792cad5f40b2f107812c68999c61c5fcaa17c112aad1d9fd91f6cba"
    static let vectorRoot = Hash32(hex: "5a4ba972e48a140744666ff944921e43b979b0035650f4eafdd3732e8e9fa4a8")!

    @Test func documentedVectors() throws {
        let tree = StateTreeTests.vectorTree()
        let presence = tree.prove(namedKey("key-b"))
        #expect(presence.canonicalBytes == hexBytes(Self.presenceVector))
        #expect(try StateProof(canonicalBytes: hexBytes(Self.presenceVector)) == presence)
        #expect(presence.verify(key: namedKey("key-b"), value: utf8("beta"), root: Self.vectorRoot))
        let absence = tree.prove(namedKey("key-d"))
        #expect(absence.canonicalBytes == hexBytes(Self.absenceVector))
        #expect(try StateProof(canonicalBytes: hexBytes(Self.absenceVector)) == absence)
        #expect(absence.verify(key: namedKey("key-d"), value: nil, root: Self.vectorRoot))
        // The empty tree proves every key absent with the shortest proof there is.
        let empty = StateTree().prove(namedKey("key-a"))
        #expect(empty.canonicalBytes == hexBytes("00 00000000"))
        #expect(empty.verify(key: namedKey("key-a"), value: nil, root: .zero))
    }

    @Test(arguments: [UInt64(21), 22]) func everyKeyProves(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var tree = StateTree()
        let entries = (0..<300).map { _ in (key: rng.key(), value: rng.bytes(maxCount: 16)) }
        tree.apply(entries.map { ($0.key, $0.value) })
        tree.apply(entries.prefix(60).map { ($0.key, nil) })  // deleted keys leave absent paths behind
        let root = tree.root
        for entry in entries.dropFirst(60) {
            let proof = tree.prove(entry.key)
            #expect(proof.verify(key: entry.key, value: entry.value, root: root))
            #expect(!proof.verify(key: entry.key, value: nil, root: root), "presence proof accepted as absence")
            #expect(!proof.verify(key: entry.key, value: entry.value + [0], root: root))
            #expect(try StateProof(canonicalBytes: proof.canonicalBytes) == proof)
        }
        var sawEmpty = false, sawOtherLeaf = false
        for key in entries.prefix(60).map(\.key) + (0..<300).map({ _ in rng.key() }) {
            let proof = tree.prove(key)
            if case .empty = proof.terminal { sawEmpty = true } else { sawOtherLeaf = true }
            #expect(proof.verify(key: key, value: nil, root: root))
            #expect(!proof.verify(key: key, value: [], root: root), "absence proof accepted as presence")
            #expect(try StateProof(canonicalBytes: proof.canonicalBytes) == proof)
        }
        #expect(sawEmpty && sawOtherLeaf)
    }

    @Test func tamperingFails() {
        var rng = SplitMix64(seed: 31)
        var tree = StateTree()
        let entries = (0..<64).map { _ in (key: rng.key(), value: rng.bytes(maxCount: 16)) }
        tree.apply(entries.map { ($0.key, $0.value) })
        let root = tree.root
        for entry in entries.prefix(16) {
            let proof = tree.prove(entry.key)
            #expect(!proof.verify(key: entry.key, value: utf8("other"), root: root))
            #expect(!proof.verify(key: flipped(entry.key, bit: 255), value: entry.value, root: root))
            #expect(!proof.verify(key: entry.key, value: entry.value, root: flipped(root, bit: 7)))
            Self.expectEachSiblingMatters(proof, key: entry.key, value: entry.value, root: root)
        }
        for _ in 0..<16 {
            let absent = rng.key()
            let proof = tree.prove(absent)
            #expect(!proof.verify(key: absent, value: nil, root: flipped(root)))
            Self.expectEachSiblingMatters(proof, key: absent, value: nil, root: root)
            // The same absence proof says nothing about a present key.
            #expect(!proof.verify(key: entries[0].key, value: nil, root: root))
        }
    }

    @Test func forgedTerminalsFail() {
        let tree = StateTreeTests.vectorTree()
        let root = tree.root
        let b = namedKey("key-b")
        var proof = tree.prove(b)
        // Claiming key-b's own leaf as "another key" must not prove its absence...
        #expect(!proof.verify(key: b, value: nil, root: root))
        // ...nor may an empty terminal or a leaf from elsewhere in the tree stand in for it.
        proof.terminal = .empty
        #expect(!proof.verify(key: b, value: nil, root: root))
        proof.terminal = .leaf(key: namedKey("key-c"), valueHash: Hash32.sha256(utf8("gamma")))
        #expect(!proof.verify(key: b, value: nil, root: root))
        // A leaf that does not share the asked key's path is refused before any hashing.
        var absence = tree.prove(namedKey("key-d"))
        absence.terminal = .leaf(key: namedKey("key-a"), valueHash: Hash32.sha256(utf8("alpha")))
        #expect(!absence.verify(key: namedKey("key-d"), value: nil, root: root))
        // More siblings than key bits never verify, and never trap.
        let overlong = StateProof(terminal: .empty, siblings: Array(repeating: .zero, count: 257))
        #expect(overlong.rootFor(key: b) == nil)
        #expect(!overlong.verify(key: b, value: nil, root: root))
    }

    @Test func malformedBytesAreRefused() {
        let bytes = hexBytes(Self.presenceVector)
        for length in 0..<bytes.count {
            #expect(decodeError(StateProof.self, Array(bytes[..<length]))?.code == .truncated, "length \(length)")
        }
        #expect(decodeError(StateProof.self, bytes + [0])?.code == .trailingBytes)
        #expect(decodeError(StateProof.self, hexBytes("02 00000000"))?.code == .unknownTag)
        #expect(decodeError(StateProof.self, hexBytes("00 00000101"))?.code == .overLimit)
        #expect(decodeError(StateProof.self, hexBytes("00 ffffffff"))?.code == .overLimit)
        let full = StateProof(terminal: .empty, siblings: Array(repeating: .zero, count: 256))
        #expect((try? StateProof(canonicalBytes: full.canonicalBytes)) == full)
    }

    /// Flipping any one sibling must break the proof.
    static func expectEachSiblingMatters(_ proof: StateProof, key: Hash32, value: [UInt8]?, root: Hash32) {
        #expect(proof.verify(key: key, value: value, root: root))
        for i in proof.siblings.indices {
            var bad = proof
            bad.siblings[i] = flipped(bad.siblings[i], bit: 100)
            #expect(!bad.verify(key: key, value: value, root: root), "sibling \(i) ignored")
        }
    }
}
