import CityEncoding
import CityTestSupport

extension SplitMix64 {
    /// A uniformly random 256-bit key.
    mutating func key() -> Hash32 {
        var bytes: [UInt8] = []
        for _ in 0..<4 {
            let word = next()
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return Hash32(bytes: bytes)!
    }

    /// Random bytes of a random length below `maxCount`.
    mutating func bytes(maxCount: Int) -> [UInt8] {
        (0..<Int.random(in: 0..<maxCount, using: &self)).map { _ in UInt8.random(in: 0...255, using: &self) }
    }
}

/// The bytes of an ASCII string.
func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }

/// The key the vectors use for a name: SHA-256 of its UTF-8 bytes.
func namedKey(_ name: String) -> Hash32 { Hash32.sha256(utf8(name)) }

/// Hex to bytes, trapping on a malformed literal (test vectors only).
func hexBytes(_ hex: String) -> [UInt8] { Hex.decode(hex)! }

/// The `CodecError` decoding `bytes` as `T` throws, or nil if it decodes.
func decodeError<T: CanonicalDecodable>(_: T.Type, _ bytes: [UInt8]) -> CodecError? {
    do {
        _ = try T(canonicalBytes: bytes)
        return nil
    } catch {
        return error
    }
}

/// The same hash with one bit flipped.
func flipped(_ h: Hash32, bit: Int = 0) -> Hash32 {
    var b = h.bytes
    b[bit / 8] ^= 0x80 >> UInt8(bit % 8)
    return Hash32(bytes: b)!
}

/// The state root straight from its definition (docs/protocol/merkle.md), written independently
/// of the library's node structure: empty = zeros, one entry = its leaf, else split on bit `depth`.
func referenceStateRoot(_ entries: [(key: Hash32, value: [UInt8])], depth: Int = 0) -> Hash32 {
    if entries.isEmpty { return .zero }
    if entries.count == 1 {
        return Hash32.sha256(parts: [[0x02], entries[0].key.bytes, Hash32.sha256(entries[0].value).bytes])
    }
    let left = referenceStateRoot(entries.filter { !$0.key.bit(depth) }, depth: depth + 1)
    let right = referenceStateRoot(entries.filter { $0.key.bit(depth) }, depth: depth + 1)
    return Hash32.sha256(parts: [[0x03], left.bytes, right.bytes])
}
