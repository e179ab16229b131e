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

    /// The leaf's key; nil for a branch. The fields are stored flat (not as `Kind`'s payloads) so
    /// that walking the tree copies and retains only the child it follows: reading `kind` copied
    /// both children and the value at every level (issue 13's profile: state lookups were 5% of a
    /// validator's CPU, most of it reference counting).
    let leafKey: Hash32?
    /// The leaf's value (empty for a branch).
    let leafValue: [UInt8]
    /// SHA-256 of the leaf's value (zero for a branch).
    let leafValueHash: NodeHash
    /// The branch's subtrees (nil for a leaf, or for an empty side).
    let left: StateNode?
    let right: StateNode?
    /// The node's hash (`StateTree.leafTag` / `StateTree.branchTag` rules).
    let hash: NodeHash
    /// Entries in this subtree.
    let count: Int

    /// A leaf for `key` → `value`.
    init(key: Hash32, value: [UInt8]) {
        let valueHash = NodeHash.plain(value)
        (leafKey, leafValue, leafValueHash, self.left, self.right) = (key, value, valueHash, nil, nil)
        hash = NodeHash.node(tag: StateTree.leafTag, NodeHash(key), valueHash)
        count = 1
    }

    /// A branch over two subtrees; use `joined` so the shape invariant holds.
    private init(left: StateNode?, right: StateNode?) {
        (leafKey, leafValue, leafValueHash, self.left, self.right) = (nil, [], .zero, left, right)
        hash = NodeHash.node(tag: StateTree.branchTag, left?.hash ?? .zero, right?.hash ?? .zero)
        count = (left?.count ?? 0) + (right?.count ?? 0)
        assert(count >= 2, "a branch holds at least two entries")
    }

    /// The node's contents, as a value to switch over.
    var kind: Kind {
        if let leafKey { return .leaf(key: leafKey, value: leafValue, valueHash: leafValueHash) }
        return .branch(left: left, right: right)
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
