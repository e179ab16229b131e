import CityEncoding

/// Proof that one item sits at `index` of a list of `leafCount` items under a `MerkleTree` root:
/// the RFC 9162 audit path, siblings ordered from the leaf up to the root.
///
/// Encoding (docs/protocol/merkle.md): u64 index, u64 leafCount, u32 count then 32 bytes per sibling.
/// Decoding refuses index ≥ leafCount, more than `maxSiblings` siblings, and a sibling count other
/// than the path length that `index` and `leafCount` imply, so a valid proof has one encoding.
@MemberwiseInit
package struct InclusionProof: Hashable, Sendable, CanonicalCodable {
    /// Most siblings a proof can have: a list indexed by u64 is at most 64 levels deep.
    package static let maxSiblings = 64

    /// Position of the proved item in the list (0-based).
    package var index: UInt64
    /// Number of items in the list.
    package var leafCount: UInt64
    /// Sibling subtree roots, nearest to the leaf first.
    package var siblings: [Hash32]

    /// True when `leaf` (raw item bytes) is at `index` of a list of `leafCount` items with this `root`.
    package func verify(leaf: [UInt8], root: Hash32) -> Bool {
        verify(leafHash: MerkleTree.leafHash(leaf), root: root)
    }

    /// True when the item with this leaf hash (`MerkleTree.leafHash`) is proved under `root`.
    package func verify(leafHash: Hash32, root: Hash32) -> Bool {
        rootFor(leafHash: leafHash) == root
    }

    /// The root this proof implies for `leafHash`, or nil when the proof's shape is impossible
    /// (index out of range, too few or too many siblings). RFC 9162 section 2.1.3.2.
    package func rootFor(leafHash: Hash32) -> Hash32? {
        guard index < leafCount, siblings.count <= Self.maxSiblings else { return nil }
        var fn = index
        var sn = leafCount - 1
        var r = NodeHash(leafHash)
        for sibling in siblings {
            guard sn != 0 else { return nil }
            let p = NodeHash(sibling)
            if fn & 1 == 1 || fn == sn {
                r = NodeHash.node(tag: MerkleTree.nodeTag, p, r)
                // A right-edge node with no right sibling is promoted: skip the levels where it is alone.
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                r = NodeHash.node(tag: MerkleTree.nodeTag, r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? r.hash32 : nil
    }

    /// Number of siblings the audit path of `index` in a list of `leafCount` items has.
    package static func pathLength(index: UInt64, leafCount: UInt64) -> Int {
        precondition(index < leafCount, "index outside the list")
        var (m, n, length) = (index, leafCount, 0)
        while n > 1 {
            let k: UInt64 = 1 << (63 - (n - 1).leadingZeroBitCount)  // largest power of two below n
            if m < k { n = k } else { m -= k; n -= k }
            length += 1
        }
        return length
    }

    /// Appends the canonical encoding (docs/protocol/merkle.md).
    package func encode(to writer: inout CanonicalWriter) {
        writer.u64(index)
        writer.u64(leafCount)
        writer.array(siblings)
    }

    /// Reads the canonical encoding, refusing every other form with `CodecError`.
    package init(from reader: inout CanonicalReader) throws(CodecError) {
        let index = try reader.u64("InclusionProof.index")
        let leafCount = try reader.u64("InclusionProof.leafCount")
        guard index < leafCount else {
            throw CodecError(.invalidValue, field: "InclusionProof.index",
                             "index \(index) is not below leafCount \(leafCount); a proof names an item of the list")
        }
        let siblings: [Hash32] = try reader.array(max: Self.maxSiblings, "InclusionProof.siblings")
        let expected = Self.pathLength(index: index, leafCount: leafCount)
        guard siblings.count == expected else {
            throw CodecError(.invalidValue, field: "InclusionProof.siblings",
                             "\(siblings.count) siblings, but index \(index) of \(leafCount) needs exactly \(expected)")
        }
        self.init(index: index, leafCount: leafCount, siblings: siblings)
    }
}
