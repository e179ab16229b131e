import CityEncoding

/// The authenticated state map: a path-compressed sparse Merkle tree over 256-bit keys, in the
/// manner of Diem's Jellyfish Merkle tree (docs/protocol/merkle.md, "State tree").
///
/// Key bit i (0 = most significant bit of the first byte) chooses the side at depth i.
/// leaf = SHA-256(0x02 || key || SHA-256(value)); branch = SHA-256(0x03 || left || right);
/// an empty subtree hashes to 32 zero bytes; a subtree with a single entry hashes to that entry's
/// leaf. The root therefore depends only on the set of entries, never on the order they came in.
///
/// A value type over immutable shared nodes: copying a tree is O(1) and versions share subtrees.
package struct StateTree: Sendable {
    /// Domain tag of a leaf hash.
    package static let leafTag: UInt8 = 0x02
    /// Domain tag of a branch hash.
    package static let branchTag: UInt8 = 0x03
    /// Root of the empty tree, and the hash of every empty subtree: 32 zero bytes.
    package static let emptyRoot = Hash32.zero

    /// The root node; nil when the tree is empty.
    private(set) var top: StateNode?

    /// An empty tree.
    package init() { top = nil }

    /// The root hash, committed to in block headers.
    package var root: Hash32 { top?.hash.hash32 ?? Self.emptyRoot }

    /// This version's root node (nil when empty): two trees with the same (`===`) version hold the
    /// same entries, so what was read from one holds for the other while the node lives.
    package var version: (any AnyObject & Sendable)? { top }

    /// Number of entries.
    package var count: Int { top?.count ?? 0 }

    /// The value stored under `key`, or nil.
    /// Walks without retaining and releasing each node on its path (reference counting was most of
    /// a lookup's cost, and every transaction does several): the nodes are immutable and `top`,
    /// held for the walk, keeps them all alive.
    package func value(for key: Hash32) -> [UInt8]? {
        guard let top else { return nil }
        return withExtendedLifetime(top) {
            var node = Unmanaged.passUnretained(top)
            var depth = 0
            while true {
                let next: Unmanaged<StateNode>? = node._withUnsafeGuaranteedRef { current in
                    guard current.leafKey == nil else { return nil }
                    return (key.bit(depth) ? current.right : current.left).map { Unmanaged.passUnretained($0) }
                }
                guard let next else {
                    return node._withUnsafeGuaranteedRef { current in
                        guard let leafKey = current.leafKey, leafKey == key else { return nil }
                        return current.leafValue
                    }
                }
                node = next
                depth += 1
            }
        }
    }

    /// Applies a batch (nil deletes) and rehashes each touched path once. The result does not
    /// depend on the order of `updates`, except that when a key appears twice the later one wins.
    package mutating func apply(_ updates: [(key: Hash32, value: [UInt8]?)]) {
        guard !updates.isEmpty else { return }
        // Sort by key, then by position so the last write of a key is the last of its run.
        let ordered = updates.indices.sorted { (updates[$0].key, $0) < (updates[$1].key, $1) }
        var batch: [StateUpdate] = []
        batch.reserveCapacity(ordered.count)
        for i in ordered {
            if let last = batch.last, last.key == updates[i].key {
                batch[batch.count - 1] = updates[i]
            } else {
                batch.append(updates[i])
            }
        }
        top = StateNode.applying(batch[...], to: top, depth: 0)
    }

    /// Every entry in ascending key order (left subtrees hold the smaller keys at every depth).
    package func entries() -> [(key: Hash32, value: [UInt8])] {
        var out: [(key: Hash32, value: [UInt8])] = []
        out.reserveCapacity(count)
        // An explicit stack: depth is bounded by 256, but iterating needs no recursion at all.
        var stack: [StateNode] = top.map { [$0] } ?? []
        while let node = stack.popLast() {
            switch node.kind {
            case .leaf(let key, let value, _):
                out.append((key: key, value: value))
            case .branch(let left, let right):
                if let right { stack.append(right) }
                if let left { stack.append(left) }
            }
        }
        return out
    }
}
