import CityEncoding

extension StateTree {
    /// A proof of `key`'s value if present, or of its absence, against `root`.
    package func prove(_ key: Hash32) -> StateProof {
        var siblings: [Hash32] = []
        var node = top
        var depth = 0
        while let current = node {
            switch current.kind {
            case .leaf(let leafKey, _, let valueHash):
                return StateProof(terminal: .leaf(key: leafKey, valueHash: valueHash.hash32), siblings: siblings)
            case .branch(let left, let right):
                let goRight = key.bit(depth)
                siblings.append(((goRight ? left : right)?.hash ?? .zero).hash32)
                node = goRight ? right : left
                depth += 1
            }
        }
        return StateProof(terminal: .empty, siblings: siblings)
    }
}
