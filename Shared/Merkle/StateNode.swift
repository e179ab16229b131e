import CityEncoding

/// One node of the persistent state tree. Nodes never change after they are made, so a new
/// version of the tree shares every untouched subtree with the versions before it, and copies
/// of a `StateTree` (candidate states in consensus) cost one reference.
///
/// Shape invariant: a subtree holding one entry is that entry's leaf, placed as high as it can go;
/// a branch always holds at least two entries; an empty subtree is nil.
final class StateNode: Sendable {
    /// What the node holds.
    enum Kind: Sendable {
        /// One entry; `valueHash` is SHA-256(value), kept so hashing never rereads the value.
        case leaf(key: Hash32, value: [UInt8], valueHash: NodeHash)
        /// Two subtrees split by the key bit at this depth (0 = left); nil is empty.
        case branch(left: StateNode?, right: StateNode?)
    }

    /// The node's contents.
    let kind: Kind
    /// The node's hash (`StateTree.leafTag` / `StateTree.branchTag` rules).
    let hash: NodeHash
    /// Entries in this subtree.
    let count: Int

    /// A leaf for `key` → `value`.
    init(key: Hash32, value: [UInt8]) {
        let valueHash = NodeHash.plain(value)
        kind = .leaf(key: key, value: value, valueHash: valueHash)
        hash = NodeHash.node(tag: StateTree.leafTag, NodeHash(key), valueHash)
        count = 1
    }

    /// A branch over two subtrees; use `joined` so the shape invariant holds.
    private init(left: StateNode?, right: StateNode?) {
        kind = .branch(left: left, right: right)
        hash = NodeHash.node(tag: StateTree.branchTag, left?.hash ?? .zero, right?.hash ?? .zero)
        count = (left?.count ?? 0) + (right?.count ?? 0)
        assert(count >= 2, "a branch holds at least two entries")
    }

    /// The key when this is a leaf.
    var leafKey: Hash32? {
        if case .leaf(let key, _, _) = kind { return key }
        return nil
    }

    /// The subtree with children `left` and `right`: empty when both are, the lone leaf when a
    /// single leaf remains (it rises to the highest position), else a new branch.
    static func joined(_ left: StateNode?, _ right: StateNode?) -> StateNode? {
        switch (left, right) {
        case (nil, nil): return nil
        case (let only?, nil) where only.leafKey != nil: return only
        case (nil, let only?) where only.leafKey != nil: return only
        default: return StateNode(left: left, right: right)
        }
    }
}
