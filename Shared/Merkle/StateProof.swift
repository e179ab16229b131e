import CityEncoding

/// Proof that a key holds a value in a `StateTree`, or that it is absent, against a root.
///
/// The path follows the key's bits from the root down to where the key's search ends: an empty
/// subtree (absent), or a leaf, which is the key's own (present) or another key's that shares
/// the path so far (absent). `siblings[i]` is the hash of the subtree beside the path at depth
/// i + 1, i.e. the child of the depth-i branch that key bit i does not choose (zeros if empty).
///
/// Encoding (docs/protocol/merkle.md): u8 terminal tag, 0 = empty, 1 = leaf followed by the leaf's
/// key (32 bytes) and SHA-256 of its value (32 bytes); then u32 count (≤ 256) and the siblings,
/// root side first.
@MemberwiseInit
package struct StateProof: Hashable, Sendable, CanonicalCodable {
    /// Where the key's path ends.
    package enum Terminal: Hashable, Sendable {
        /// An empty subtree: the key is absent.
        case empty
        /// A leaf, with the SHA-256 of its value; the key is present only if `key` is the one asked about.
        case leaf(key: Hash32, valueHash: Hash32)
    }

    /// Most siblings a proof can have: one per key bit.
    package static let maxSiblings = 256

    /// Where the path ends.
    package var terminal: Terminal
    /// Hashes beside the path, root side first.
    package var siblings: [Hash32]

    /// True when, under `root`, `key` holds `value`, or, with `value == nil`, `key` is absent.
    package func verify(key: Hash32, value: [UInt8]?, root: Hash32) -> Bool {
        guard siblings.count <= Self.maxSiblings else { return false }
        switch (terminal, value) {
        case (.empty, nil):
            break
        case (.empty, .some):
            return false
        case (.leaf(let leafKey, let valueHash), let value?):
            guard leafKey == key, valueHash == NodeHash.plain(value).hash32 else { return false }
        case (.leaf(let leafKey, _), nil):
            // Another key's leaf proves absence only where the asked key's path would lead to it.
            guard leafKey != key, Self.sharePrefix(leafKey, key, bits: siblings.count) else { return false }
        }
        return rootFor(key: key) == root
    }

    /// The root implied by walking `key`'s path up from the terminal through the siblings;
    /// nil when there are more siblings than key bits.
    package func rootFor(key: Hash32) -> Hash32? {
        guard siblings.count <= Self.maxSiblings else { return nil }
        var h: NodeHash
        switch terminal {
        case .empty:
            h = .zero
        case .leaf(let leafKey, let valueHash):
            h = NodeHash.node(tag: StateTree.leafTag, NodeHash(leafKey), NodeHash(valueHash))
        }
        for depth in stride(from: siblings.count - 1, through: 0, by: -1) {
            let sibling = NodeHash(siblings[depth])
            h = key.bit(depth)
                ? NodeHash.node(tag: StateTree.branchTag, sibling, h)
                : NodeHash.node(tag: StateTree.branchTag, h, sibling)
        }
        return h.hash32
    }

    private static func sharePrefix(_ a: Hash32, _ b: Hash32, bits: Int) -> Bool {
        (0..<bits).allSatisfy { a.bit($0) == b.bit($0) }
    }

    /// Appends the canonical encoding (docs/protocol/merkle.md).
    package func encode(to writer: inout CanonicalWriter) {
        switch terminal {
        case .empty:
            writer.u8(0)
        case .leaf(let key, let valueHash):
            writer.u8(1)
            writer.encode(key)
            writer.encode(valueHash)
        }
        writer.array(siblings)
    }

    /// Reads the canonical encoding, refusing every other form with `CodecError`.
    package init(from reader: inout CanonicalReader) throws(CodecError) {
        let terminal: Terminal
        switch try reader.u8("StateProof.terminal") {
        case 0: terminal = .empty
        case 1: terminal = .leaf(key: try reader.decode(), valueHash: try reader.decode())
        case let tag: throw .unknownTag("StateProof.terminal", tag)
        }
        let siblings: [Hash32] = try reader.array(max: Self.maxSiblings, "StateProof.siblings")
        self.init(terminal: terminal, siblings: siblings)
    }
}
