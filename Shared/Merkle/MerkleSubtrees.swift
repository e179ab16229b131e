import CityEncoding

/// Every subtree root of one ordered list (`MerkleTree`), computed once (n − 1 node hashes): an
/// inclusion proof of any item is then a walk of lookups with no hashing. What a server that proves
/// many items of the same block keeps (the indexer's proof cache). Proofs equal `MerkleTree`'s.
package struct MerkleSubtrees: Sendable {
    /// Number of items in the list.
    package let leafCount: Int
    /// Subtree roots keyed by `start << 32 | count`.
    private var nodes: [UInt64: Hash32] = [:]
    /// The list's root.
    package private(set) var root: Hash32 = MerkleTree.emptyRoot

    package init(leafHashes: [Hash32]) {
        precondition(leafHashes.count < 1 << 32, "a list of \(leafHashes.count) items is too long to cache")
        leafCount = leafHashes.count
        guard !leafHashes.isEmpty else { return }
        nodes.reserveCapacity(2 * leafHashes.count)
        root = build(leafHashes.map(NodeHash.init)[...]).hash32
    }

    private static func key(_ start: Int, _ count: Int) -> UInt64 { UInt64(start) << 32 | UInt64(count) }

    private mutating func build(_ hashes: ArraySlice<NodeHash>) -> NodeHash {
        let hash: NodeHash
        if hashes.count == 1 {
            hash = hashes[hashes.startIndex]
        } else {
            let mid = hashes.startIndex + MerkleTree.splitPoint(hashes.count)
            hash = NodeHash.node(tag: MerkleTree.nodeTag, build(hashes[..<mid]), build(hashes[mid...]))
        }
        nodes[Self.key(hashes.startIndex, hashes.count)] = hash.hash32
        return hash
    }

    /// The inclusion proof of the item at `index` (PATH(m, D) of RFC 6962, leaf side first).
    package func proof(index: Int) -> InclusionProof {
        precondition(index >= 0 && index < leafCount, "leaf index \(index) outside a list of \(leafCount)")
        var path: [Hash32] = []
        var (start, count) = (0, leafCount)
        while count > 1 {
            let k = MerkleTree.splitPoint(count)
            if index < start + k {
                path.append(nodes[Self.key(start + k, count - k)]!)
                count = k
            } else {
                path.append(nodes[Self.key(start, k)]!)
                (start, count) = (start + k, count - k)
            }
        }
        return InclusionProof(index: UInt64(index), leafCount: UInt64(leafCount), siblings: path.reversed())
    }
}
