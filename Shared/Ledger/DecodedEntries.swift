import CityEncoding
import CityMerkle
import Synchronization

/// Decoded state entries by tree key, with the bytes they were decoded from: a lookup whose bytes
/// are still the stored ones (the same buffer, so the comparison is O(1) in the common case)
/// skips decoding. Datasets carry their writer lists, and every `putRecord` reads its dataset:
/// decoding it each time was a tenth of a validator's CPU under load (issue 13's profile). Shared
/// by the copies of one `LedgerState` (a copy that writes an entry stores new bytes, which no
/// longer match the older copy's cached ones, so each copy still reads its own value). Bounded.
final class DecodedEntries: Sendable {
    private struct Cached: @unchecked Sendable {   // values are immutable Sendable entries
        var bytes: [UInt8]
        var value: Any
    }

    private let map = Mutex<[StateKey: Cached]>([:])
    /// Most entries kept; the map is emptied when it is full (the hot entries come back at once).
    static let capacity = 4096

    /// The stored bytes of the hot entries of one tree version (the tree's root node, held here so
    /// that it cannot be freed and its address reused while entries are remembered for it).
    private struct Memo {
        var version: (any AnyObject & Sendable)?
        var valid = false
        var bytes: [StateKey: [UInt8]?] = [:]
    }

    private let memo = Mutex(Memo())

    /// The bytes under `key` in `tree`: read from the tree once per tree version and key. Every
    /// transaction reads its signers' agencies and its dataset, several times on its way (admission,
    /// proposal, validation, recheck), and each read walked the tree: ~20 nodes, most of them cache
    /// misses (issue 13's profile: the walk was 7% of a validator's CPU).
    func stored(_ key: StateKey, in tree: StateTree) -> [UInt8]? {
        let version = tree.version
        let hit: [UInt8]?? = memo.withLock { m in m.valid && m.version === version ? m.bytes[key] : nil }
        if let hit { return hit }
        let value = tree.value(for: key.treeKey)
        var replaced: Memo?   // an older version's nodes are released after the lock, not under it
        memo.withLock { m in
            if !m.valid || m.version !== version {
                replaced = m
                m = Memo(version: version, valid: true)
            }
            if m.bytes.count < Self.capacity { m.bytes[key] = .some(value) }
        }
        _ = replaced
        return value
    }

    /// The entry under `key` whose stored bytes are `bytes`, decoded once.
    func value<T: CanonicalDecodable & Sendable>(_ key: StateKey, bytes: [UInt8], as _: T.Type) throws(CodecError) -> T {
        if let hit = map.withLock({ $0[key] }), hit.bytes == bytes, let value = hit.value as? T { return value }
        let value = try T(canonicalBytes: bytes)
        map.withLock { m in
            if m.count >= Self.capacity { m.removeAll(keepingCapacity: true) }
            m[key] = Cached(bytes: bytes, value: value)
        }
        return value
    }
}
