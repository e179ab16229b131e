import CityTestSupport
import CityEncoding
import CityMerkle
import Testing

/// The ordered-list tree: known answers (computed with Python's hashlib from the rules in
/// docs/protocol/merkle.md), proofs for every position, and rejection of wrong proofs.
@Suite struct MerkleTreeTests {
    static let abc = [utf8("a"), utf8("b"), utf8("c")]

    @Test func knownAnswers() {
        #expect(MerkleTree.root(leaves: []).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(MerkleTree.root(leaves: []) == MerkleTree.emptyRoot)
        #expect(MerkleTree.leafHash(utf8("a")).hex == "022a6979e6dab7aa5ae4c3e5e45f7e977112a7e63593820dbec1ec738a24f93c")
        #expect(MerkleTree.root(leaves: [utf8("a")]).hex == "022a6979e6dab7aa5ae4c3e5e45f7e977112a7e63593820dbec1ec738a24f93c")
        #expect(MerkleTree.root(leaves: [utf8("a"), utf8("b")]).hex
            == "b137985ff484fb600db93107c77b0365c80d78f5b429ded0fd97361d077999eb")
        #expect(MerkleTree.root(leaves: Self.abc).hex == "36642e73c2540ab121e3a6bf9545b0a24982cd830eb13d3cd19de3ce6c021ec1")
        let five = ["a", "b", "c", "d", "e"].map(utf8)
        #expect(MerkleTree.root(leaves: five).hex == "fe14a5426fbd70c0fa73f52342afed0da0bd23c4838662ccf6b88a3070ead97b")
    }

    @Test func nodeRuleMatchesRoot() {
        let (a, b, c) = (MerkleTree.leafHash(utf8("a")), MerkleTree.leafHash(utf8("b")), MerkleTree.leafHash(utf8("c")))
        #expect(MerkleTree.root(leaves: Self.abc) == MerkleTree.nodeHash(MerkleTree.nodeHash(a, b), c))
        #expect(MerkleTree.root(leafHashes: [a, b, c]) == MerkleTree.root(leaves: Self.abc))
    }

    @Test func noDuplicateLastLeafAmbiguity() {
        // Bitcoin's tree gives [a, b, c] and [a, b, c, c] one root (CVE-2012-2459); this one must not.
        let abcc = Self.abc + [utf8("c")]
        #expect(MerkleTree.root(leaves: Self.abc) != MerkleTree.root(leaves: abcc))
        // A leaf whose bytes are an interior node's input must not collide with that node.
        let (a, b) = (MerkleTree.leafHash(utf8("a")), MerkleTree.leafHash(utf8("b")))
        #expect(MerkleTree.root(leaves: [a.bytes + b.bytes]) != MerkleTree.root(leaves: [utf8("a"), utf8("b")]))
    }

    @Test(arguments: 1...17) func everyIndexProves(size: Int) throws {
        let leaves = (0..<size).map { utf8("tx-\($0)") }
        let root = MerkleTree.root(leaves: leaves)
        let hashes = leaves.map(MerkleTree.leafHash)
        for index in 0..<size {
            let proof = MerkleTree.proof(leaves: leaves, index: index)
            #expect(proof == MerkleTree.proof(leafHashes: hashes, index: index))
            #expect(proof.index == UInt64(index) && proof.leafCount == UInt64(size))
            #expect(proof.siblings.count == InclusionProof.pathLength(index: UInt64(index), leafCount: UInt64(size)))
            #expect(proof.verify(leaf: leaves[index], root: root))
            #expect(proof.rootFor(leafHash: hashes[index]) == root)
            #expect(!proof.verify(leaf: utf8("forged"), root: root))
            #expect(!proof.verify(leaf: leaves[index], root: flipped(root)))
            #expect(try InclusionProof(canonicalBytes: proof.canonicalBytes) == proof)
        }
    }

    @Test(arguments: [1, 2, 3, 5, 8, 13, 17, 64, 100, 257]) func batchProofsEqualSingleProofs(size: Int) {
        let hashes = (0..<size).map { MerkleTree.leafHash(utf8("tx-\($0)")) }
        let all = MerkleTree.proofs(leafHashes: hashes, indices: Set(0..<size))
        #expect(all.count == size)
        for index in 0..<size { #expect(all[index] == MerkleTree.proof(leafHashes: hashes, index: index)) }
        // A subset gets exactly its proofs.
        let some = Set((0..<size).filter { $0 % 3 == 1 })
        let partial = MerkleTree.proofs(leafHashes: hashes, indices: some)
        #expect(Set(partial.keys) == some)
        for index in some { #expect(partial[index] == all[index]) }
        #expect(MerkleTree.proofs(leafHashes: hashes, indices: []).isEmpty)
    }

    @Test(arguments: 1...17) func tamperedProofsFail(size: Int) {
        let leaves = (0..<size).map { utf8("tx-\($0)") }
        let root = MerkleTree.root(leaves: leaves)
        for index in 0..<size {
            let proof = MerkleTree.proof(leaves: leaves, index: index)
            for s in proof.siblings.indices {
                var bad = proof
                bad.siblings[s] = flipped(bad.siblings[s], bit: 255)
                #expect(!bad.verify(leaf: leaves[index], root: root))
            }
            for otherIndex in 0..<size where otherIndex != index {
                var moved = proof
                moved.index = UInt64(otherIndex)
                #expect(!moved.verify(leaf: leaves[index], root: root), "index \(index) claimed as \(otherIndex)")
            }
            var outOfRange = proof
            outOfRange.index = UInt64(size)
            #expect(outOfRange.rootFor(leafHash: MerkleTree.leafHash(leaves[index])) == nil)
            // A different count whose path has another length cannot verify. (A count with the same
            // path shape can: the proof binds the count only through that shape, which is why
            // callers check leafCount against the header's transaction count.)
            for count in 1...40 where count > index
                && InclusionProof.pathLength(index: UInt64(index), leafCount: UInt64(count)) != proof.siblings.count {
                var resized = proof
                resized.leafCount = UInt64(count)
                #expect(!resized.verify(leaf: leaves[index], root: root), "count \(size) claimed as \(count)")
            }
            var longer = proof
            longer.siblings.append(root)
            #expect(!longer.verify(leaf: leaves[index], root: root))
            if !proof.siblings.isEmpty {
                var shorter = proof
                shorter.siblings.removeLast()
                #expect(!shorter.verify(leaf: leaves[index], root: root))
            }
        }
    }

    @Test func largerListsAgreeWithLeafHashes() {
        var rng = SplitMix64(seed: 7)
        let leaves = (0..<1000).map { _ in rng.bytes(maxCount: 40) }
        let root = MerkleTree.root(leaves: leaves)
        #expect(root == MerkleTree.root(leafHashes: leaves.map(MerkleTree.leafHash)))
        for index in [0, 1, 511, 512, 513, 998, 999] {
            #expect(MerkleTree.proof(leaves: leaves, index: index).verify(leaf: leaves[index], root: root))
        }
    }
}
