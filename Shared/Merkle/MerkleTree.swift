import CityEncoding

/// The binary Merkle tree over an ordered list (a block's transactions root), hashed as in
/// RFC 6962 / RFC 9162 (docs/protocol/merkle.md, "Ordered list tree").
///
/// leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right); a list of n > 1 items is
/// split at the largest power of two k < n into [0, k) and [k, n). Nothing is ever duplicated,
/// so no two different lists share a root (the duplicate-last-leaf ambiguity of CVE-2012-2459).
package enum MerkleTree {
    /// Domain tag of a leaf hash.
    package static let leafTag: UInt8 = 0x00
    /// Domain tag of an interior node hash.
    package static let nodeTag: UInt8 = 0x01
    /// Root of the empty list: SHA-256 of no bytes (as in RFC 6962).
    package static let emptyRoot = Hash32(hex: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")!

    /// SHA-256(0x00 || data): what callers that hash transactions themselves pass to `root(leafHashes:)`.
    package static func leafHash(_ data: [UInt8]) -> Hash32 {
        NodeHash.tagged(leafTag, data).hash32
    }

    /// SHA-256(0x01 || left || right).
    package static func nodeHash(_ left: Hash32, _ right: Hash32) -> Hash32 {
        NodeHash.node(tag: nodeTag, NodeHash(left), NodeHash(right)).hash32
    }

    /// Root of the list of raw items.
    package static func root(leaves: [[UInt8]]) -> Hash32 {
        root(of: leaves.map { NodeHash.tagged(leafTag, $0) })
    }

    /// Root of the list whose leaf hashes (`leafHash(_:)`) are already known.
    package static func root(leafHashes: [Hash32]) -> Hash32 {
        root(of: leafHashes.map(NodeHash.init))
    }

    /// Inclusion proof of the item at `index` of the list of raw items.
    package static func proof(leaves: [[UInt8]], index: Int) -> InclusionProof {
        proof(of: leaves.map { NodeHash.tagged(leafTag, $0) }, index: index)
    }

    /// Inclusion proof of the item at `index`, from precomputed leaf hashes.
    package static func proof(leafHashes: [Hash32], index: Int) -> InclusionProof {
        proof(of: leafHashes.map(NodeHash.init), index: index)
    }

    /// Inclusion proofs of the items at `indices` (each in the list), computing every interior node
    /// once: n − 1 hashes for the lot, where one `proof(leafHashes:index:)` per item costs n − 1 each.
    /// The proofs equal the single ones.
    package static func proofs(leafHashes: [Hash32], indices: Set<Int>) -> [Int: InclusionProof] {
        guard !indices.isEmpty else { return [:] }
        for i in indices { precondition(i >= 0 && i < leafHashes.count, "leaf index \(i) outside a list of \(leafHashes.count)") }
        var paths: [Int: [Hash32]] = [:]
        _ = auditPaths(leafHashes.map(NodeHash.init)[...], wanted: indices.sorted()[...], into: &paths)
        let n = UInt64(leafHashes.count)
        return paths.reduce(into: [:]) { out, p in out[p.key] = InclusionProof(index: UInt64(p.key), leafCount: n, siblings: p.value) }
    }

    // MARK: - Internals

    /// The subtree's root; appends to `paths[i]` (leaf side first) the siblings of every wanted index
    /// in it, as PATH(m, D) of RFC 6962 would.
    /// `wanted` is sorted and holds only indices of this subtree.
    private static func auditPaths(_ hashes: ArraySlice<NodeHash>, wanted: ArraySlice<Int>, into paths: inout [Int: [Hash32]]) -> NodeHash {
        if hashes.count == 1 {
            if !wanted.isEmpty { paths[hashes.startIndex] = [] }
            return hashes[hashes.startIndex]
        }
        let mid = hashes.startIndex + splitPoint(hashes.count)
        let split = wanted.firstIndex { $0 >= mid } ?? wanted.endIndex
        let left = auditPaths(hashes[..<mid], wanted: wanted[..<split], into: &paths)
        let right = auditPaths(hashes[mid...], wanted: wanted[split...], into: &paths)
        for i in wanted[..<split] { paths[i]!.append(right.hash32) }
        for i in wanted[split...] { paths[i]!.append(left.hash32) }
        return NodeHash.node(tag: nodeTag, left, right)
    }

    private static func root(of hashes: [NodeHash]) -> Hash32 {
        hashes.isEmpty ? emptyRoot : subtreeRoot(hashes[...]).hash32
    }

    private static func proof(of hashes: [NodeHash], index: Int) -> InclusionProof {
        precondition(index >= 0 && index < hashes.count, "leaf index \(index) outside a list of \(hashes.count)")
        var path: [Hash32] = []
        auditPath(index, hashes[...], into: &path)
        return InclusionProof(index: UInt64(index), leafCount: UInt64(hashes.count), siblings: path)
    }

    /// MTH(D[lo..<hi]) of RFC 6962; the recursion depth is at most 64 (one level per halving).
    private static func subtreeRoot(_ hashes: ArraySlice<NodeHash>) -> NodeHash {
        if hashes.count == 1 { return hashes[hashes.startIndex] }
        let mid = hashes.startIndex + splitPoint(hashes.count)
        return NodeHash.node(tag: nodeTag, subtreeRoot(hashes[..<mid]), subtreeRoot(hashes[mid...]))
    }

    /// PATH(m, D) of RFC 6962, appended leaf-side first (the order a verifier consumes it).
    private static func auditPath(_ m: Int, _ hashes: ArraySlice<NodeHash>, into path: inout [Hash32]) {
        if hashes.count == 1 { return }
        let k = splitPoint(hashes.count)
        let mid = hashes.startIndex + k
        if m < k {
            auditPath(m, hashes[..<mid], into: &path)
            path.append(subtreeRoot(hashes[mid...]).hash32)
        } else {
            auditPath(m - k, hashes[mid...], into: &path)
            path.append(subtreeRoot(hashes[..<mid]).hash32)
        }
    }

    /// The largest power of two strictly less than `n` (n ≥ 2).
    static func splitPoint(_ n: Int) -> Int {
        precondition(n >= 2, "only lists of two or more items are split")
        return 1 << (Int.bitWidth - 1 - (n - 1).leadingZeroBitCount)
    }
}
