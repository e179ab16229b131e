import CityEncoding
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

    private let map = Mutex<[Hash32: Cached]>([:])
    /// Most entries kept; the map is emptied when it is full (the hot entries come back at once).
    static let capacity = 4096

    /// The entry under `key` whose stored bytes are `bytes`, decoded once.
    func value<T: CanonicalDecodable & Sendable>(_ key: Hash32, bytes: [UInt8], as _: T.Type) throws(CodecError) -> T {
        if let hit = map.withLock({ $0[key] }), hit.bytes == bytes, let value = hit.value as? T { return value }
        let value = try T(canonicalBytes: bytes)
        map.withLock { m in
            if m.count >= Self.capacity { m.removeAll(keepingCapacity: true) }
            m[key] = Cached(bytes: bytes, value: value)
        }
        return value
    }
}
