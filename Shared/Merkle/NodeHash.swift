import CityEncoding
import Crypto

/// A digest held as its 32 bytes in memory order, so hashing a node feeds the children's bytes
/// straight into SHA-256 without allocating (`Hash32.bytes` builds an Array each time).
/// Converted to `Hash32` only at the API boundary (roots, proofs).
struct NodeHash: Hashable, Sendable {
    /// The 32 bytes, laid out as in the digest (not numeric words).
    private var raw: SIMD4<UInt64>

    /// 32 zero bytes: the empty-subtree placeholder of the state tree.
    static let zero = NodeHash(raw: SIMD4<UInt64>(repeating: 0))

    private init(raw: SIMD4<UInt64>) { self.raw = raw }

    /// Copies a swift-crypto digest.
    init(_ digest: SHA256.Digest) {
        raw = digest.withUnsafeBytes { $0.loadUnaligned(as: SIMD4<UInt64>.self) }
    }

    /// Copies a `Hash32`.
    init(_ hash: Hash32) {
        raw = hash.withUnsafeBytes { $0.loadUnaligned(as: SIMD4<UInt64>.self) }
    }

    /// The same digest as a `Hash32`.
    var hash32: Hash32 {
        withUnsafeBytes(of: raw) { Hash32(bytes: $0)! }
    }

    /// Feeds the 32 bytes to `hasher`.
    func feed(_ hasher: inout SHA256) {
        withUnsafeBytes(of: raw) { hasher.update(bufferPointer: $0) }
    }

    /// SHA-256(tag || left || right): the interior-node rule of both trees (each with its own tag).
    static func node(tag: UInt8, _ left: NodeHash, _ right: NodeHash) -> NodeHash {
        var h = SHA256()
        withUnsafeBytes(of: tag) { h.update(bufferPointer: $0) }
        left.feed(&h)
        right.feed(&h)
        return NodeHash(h.finalize())
    }

    /// SHA-256(tag || data).
    static func tagged(_ tag: UInt8, _ data: [UInt8]) -> NodeHash {
        var h = SHA256()
        withUnsafeBytes(of: tag) { h.update(bufferPointer: $0) }
        h.update(data: data)
        return NodeHash(h.finalize())
    }

    /// SHA-256(data), untagged (the state tree hashes a value this way before tagging its leaf).
    static func plain(_ data: [UInt8]) -> NodeHash {
        NodeHash(SHA256.hash(data: data))
    }
}
