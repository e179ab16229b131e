import CityEncoding
import CityMerkle
import Testing

/// The cached subtrees give exactly the proofs and root `MerkleTree` computes from scratch.
@Suite struct MerkleSubtreesTests {
    @Test func proofsAndRootEqualTheTreesForEverySizeAndIndex() {
        for n in Array(0...70) + [127, 128, 129, 1000] {
            let leaves = (0..<n).map { MerkleTree.leafHash(Array("item \($0)".utf8)) }
            let cached = MerkleSubtrees(leafHashes: leaves)
            #expect(cached.leafCount == n)
            #expect(cached.root == MerkleTree.root(leafHashes: leaves), "root of \(n)")
            for i in 0..<n {
                let proof = cached.proof(index: i)
                #expect(proof == MerkleTree.proof(leafHashes: leaves, index: i), "proof of \(i) in \(n)")
                #expect(proof.verify(leaf: Array("item \(i)".utf8), root: cached.root))
            }
        }
    }
}
