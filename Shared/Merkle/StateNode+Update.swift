import CityEncoding

/// One deduplicated change of a batch: a value to store, or nil to delete.
typealias StateUpdate = (key: Hash32, value: [UInt8]?)

extension StateNode {
    /// The subtree at `depth` after `updates` (sorted by key, unique keys, all under this subtree's
    /// key prefix). Only the paths the batch touches are rebuilt, and each new node is hashed once,
    /// bottom-up, so a batch costs about log2(n) hashes per update.
    static func applying(_ updates: ArraySlice<StateUpdate>, to node: StateNode?, depth: Int) -> StateNode? {
        guard !updates.isEmpty else { return node }
        guard let node else { return build(updates, keeping: nil, depth: depth) }
        switch node.kind {
        case .leaf(let key, _, _):
            // The existing entry survives unless the batch rewrites or deletes its key.
            let overwritten = updates.contains { $0.key == key }
            return build(updates, keeping: overwritten ? nil : node, depth: depth)
        case .branch(let left, let right):
            let mid = splitIndex(updates, depth: depth)
            let newLeft = applying(updates[..<mid], to: left, depth: depth + 1)
            let newRight = applying(updates[mid...], to: right, depth: depth + 1)
            if newLeft === left && newRight === right { return node }
            return joined(newLeft, newRight)
        }
    }

    /// A fresh subtree at `depth` holding the non-nil `updates` plus `kept` (an existing leaf
    /// whose key is not among `updates`); deletions of keys that are not there do nothing.
    private static func build(_ updates: ArraySlice<StateUpdate>, keeping kept: StateNode?, depth: Int) -> StateNode? {
        var live = kept == nil ? 0 : 1
        var lastLive: StateUpdate?
        for u in updates where u.value != nil {
            live += 1
            lastLive = u
        }
        if live == 0 { return nil }
        if live == 1 {
            if let kept { return kept }
            return StateNode(key: lastLive!.key, value: lastLive!.value!)
        }
        // Two distinct keys differ in some bit below 256, so this split happens before depth 256.
        precondition(depth < 256, "two entries share all 256 key bits")
        let mid = splitIndex(updates, depth: depth)
        let keptGoesRight = kept?.leafKey?.bit(depth) ?? false
        let left = build(updates[..<mid], keeping: keptGoesRight ? nil : kept, depth: depth + 1)
        let right = build(updates[mid...], keeping: keptGoesRight ? kept : nil, depth: depth + 1)
        return joined(left, right)
    }

    /// First position whose key has bit `depth` set: the keys share every earlier bit and are
    /// sorted, so that bit is 0 for a prefix of the slice and 1 after it.
    private static func splitIndex(_ updates: ArraySlice<StateUpdate>, depth: Int) -> Int {
        var lo = updates.startIndex
        var hi = updates.endIndex
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if updates[mid].key.bit(depth) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
