import CityTestSupport
import CityEncoding
import CityMerkle
import Testing

/// The state map against a reference Dictionary, order independence, and the documented root.
@Suite struct StateTreeTests {
    /// The three-entry tree of docs/protocol/merkle.md.
    static func vectorTree() -> StateTree {
        var tree = StateTree()
        tree.apply([(namedKey("key-a"), utf8("alpha")), (namedKey("key-b"), utf8("beta")), (namedKey("key-c"), utf8("gamma"))])
        return tree
    }

    @Test func emptyTree() {
        let tree = StateTree()
        #expect(tree.root == Hash32.zero && tree.root == StateTree.emptyRoot)
        #expect(tree.count == 0 && tree.entries().isEmpty)
        #expect(tree.value(for: namedKey("key-a")) == nil)
    }

    @Test func knownAnswers() {
        var single = StateTree()
        single.apply([(namedKey("key-a"), utf8("alpha"))])
        // A lone entry is its leaf: SHA-256(0x02 || key || SHA-256(value)).
        #expect(single.root.hex == "e2d3e060d0b0ccfcde8f0db4bd7b01f89600cf945965b3625d9e1fb651b02f5f")
        let leaf = Hash32.sha256(parts: [[0x02], namedKey("key-a").bytes, Hash32.sha256(utf8("alpha")).bytes])
        #expect(single.root == leaf)
        let tree = Self.vectorTree()
        #expect(tree.root.hex == "5a4ba972e48a140744666ff944921e43b979b0035650f4eafdd3732e8e9fa4a8")
        #expect(tree.count == 3)
        #expect(tree.value(for: namedKey("key-b")) == utf8("beta"))
        #expect(tree.value(for: namedKey("key-d")) == nil)
    }

    @Test(arguments: [UInt64(1), 2, 3]) func matchesReferenceDictionary(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var tree = StateTree()
        var reference: [Hash32: [UInt8]] = [:]
        var known: [Hash32] = []
        for _ in 0..<40 {
            var batch: [(key: Hash32, value: [UInt8]?)] = []
            for _ in 0..<Int.random(in: 0...25, using: &rng) {
                // Reuse known keys often, so batches overwrite, delete and repeat keys.
                let key = known.isEmpty || Bool.random(using: &rng) ? rng.key() : known.randomElement(using: &rng)!
                known.append(key)
                let value: [UInt8]? = Int.random(in: 0..<3, using: &rng) == 0 ? nil : rng.bytes(maxCount: 12)
                batch.append((key, value))
                reference[key] = value
            }
            tree.apply(batch)
            #expect(tree.count == reference.count)
            #expect(tree.root == Self.fresh(reference).root)
        }
        for key in known { #expect(tree.value(for: key) == reference[key]) }
        for _ in 0..<50 { #expect(tree.value(for: rng.key()) == nil) }
        let entries = tree.entries()
        #expect(entries.map(\.key) == reference.keys.sorted())
        #expect(entries.allSatisfy { reference[$0.key] == $0.value })
        #expect(tree.root == referenceStateRoot(reference.map { ($0.key, $0.value) }))
    }

    @Test(arguments: [UInt64(11), 12, 13, 14]) func rootIgnoresHistory(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let keep = (0..<120).map { _ in (key: rng.key(), value: rng.bytes(maxCount: 10)) }
        let transient = (0..<60).map { _ in (key: rng.key(), value: rng.bytes(maxCount: 10)) }
        let expected = Self.fresh(Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })).root
        // Random order, random batch sizes, with keys that come and go in between.
        var ops: [(key: Hash32, value: [UInt8]?)] = keep.map { ($0.key, $0.value) } + transient.map { ($0.key, $0.value) }
        ops.shuffle(using: &rng)
        ops += transient.map { ($0.key, nil) }.shuffled(using: &rng)
        var tree = StateTree()
        var start = 0
        while start < ops.count {
            let end = min(ops.count, start + Int.random(in: 1...30, using: &rng))
            tree.apply(Array(ops[start..<end]))
            start = end
        }
        #expect(tree.root == expected)
        #expect(tree.count == keep.count)
    }

    @Test func lastWriteOfAKeyWins() {
        let key = namedKey("key-a")
        var tree = StateTree()
        tree.apply([(key, utf8("one")), (namedKey("key-b"), utf8("b")), (key, utf8("two"))])
        #expect(tree.value(for: key) == utf8("two"))
        tree.apply([(key, utf8("three")), (key, nil)])
        #expect(tree.value(for: key) == nil && tree.count == 1)
        tree.apply([(key, nil), (key, utf8("four"))])
        #expect(tree.value(for: key) == utf8("four") && tree.count == 2)
    }

    @Test func deletingEverythingReturnsToEmpty() {
        var rng = SplitMix64(seed: 99)
        let keys = (0..<200).map { _ in rng.key() }
        var tree = StateTree()
        tree.apply(keys.map { ($0, rng.bytes(maxCount: 8)) })
        #expect(tree.count == 200)
        tree.apply(keys.prefix(150).map { ($0, nil) })
        #expect(tree.count == 50)
        tree.apply(keys.suffix(50).reversed().map { ($0, nil) } + [(rng.key(), nil)])
        #expect(tree.root == StateTree.emptyRoot && tree.count == 0 && tree.entries().isEmpty)
    }

    @Test func deletingAbsentKeysChangesNothing() {
        var tree = Self.vectorTree()
        let before = tree.root
        tree.apply([(namedKey("key-d"), nil), (namedKey("key-e"), nil)])
        #expect(tree.root == before && tree.count == 3)
        tree.apply([])
        #expect(tree.root == before)
    }

    @Test func copiesAreIndependentVersions() {
        let base = Self.vectorTree()
        var fork = base
        fork.apply([(namedKey("key-a"), utf8("changed")), (namedKey("key-z"), utf8("new"))])
        #expect(base.root.hex == "5a4ba972e48a140744666ff944921e43b979b0035650f4eafdd3732e8e9fa4a8")
        #expect(base.value(for: namedKey("key-a")) == utf8("alpha") && base.count == 3)
        #expect(fork.value(for: namedKey("key-a")) == utf8("changed") && fork.count == 4)
    }

    @Test func keysSharingLongPrefixes() {
        // Keys that differ only in their last bits force the deepest branches (up to depth 255).
        let base = [UInt8](repeating: 0xAB, count: 32)
        var keys: [Hash32] = []
        for last in [0x00, 0x01, 0x02, 0x80, 0xFF] as [UInt8] {
            var b = base
            b[31] = last
            keys.append(Hash32(bytes: b)!)
        }
        var tree = StateTree()
        tree.apply(keys.map { ($0, $0.bytes) })
        #expect(tree.entries().map(\.key) == keys.sorted())
        for key in keys {
            let proof = tree.prove(key)
            #expect(proof.verify(key: key, value: key.bytes, root: tree.root))
        }
        #expect(tree.prove(keys[0]).siblings.count == 256)
        tree.apply(keys.dropFirst().map { ($0, nil) })
        #expect(tree.root == Self.fresh([keys[0]: keys[0].bytes]).root)
    }

    /// A tree built in one batch from a dictionary: the reference for "same set, same root".
    static func fresh(_ entries: [Hash32: [UInt8]]) -> StateTree {
        var tree = StateTree()
        tree.apply(entries.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        return tree
    }
}
