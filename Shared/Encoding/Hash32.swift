import Crypto

/// A 32-byte SHA-256 digest, stored inline (no heap allocation) because Merkle trees make many.
package struct Hash32: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    private var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// The all-zero hash, used as "no parent" and "empty tree" placeholder.
    package static let zero = Hash32(w0: 0, w1: 0, w2: 0, w3: 0)

    private init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        (self.w0, self.w1, self.w2, self.w3) = (w0, w1, w2, w3)
    }

    /// Wraps 32 bytes; returns nil for any other length.
    package init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        if let h = bytes.withContiguousStorageIfAvailable({ Hash32(raw: UnsafeRawBufferPointer($0)) }) {
            self = h
            return
        }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for (i, b) in bytes.enumerated() {
            switch i / 8 {
            case 0: words.0 = words.0 << 8 | UInt64(b)
            case 1: words.1 = words.1 << 8 | UInt64(b)
            case 2: words.2 = words.2 << 8 | UInt64(b)
            default: words.3 = words.3 << 8 | UInt64(b)
            }
        }
        self.init(w0: words.0, w1: words.1, w2: words.2, w3: words.3)
    }

    /// The 32 bytes at the start of `raw` (which must hold at least 32): four big-endian words,
    /// read without copying or allocating.
    package init(raw: UnsafeRawBufferPointer) {
        precondition(raw.count >= 32, "Hash32(raw:) needs 32 bytes, got \(raw.count)")
        self.init(w0: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                  w1: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                  w2: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
                  w3: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
    }

    /// `bytes` cut into consecutive hashes (a stored list of leaf hashes); nil unless its length
    /// is a multiple of 32.
    package static func list(concatenated bytes: [UInt8]) -> [Hash32]? {
        guard bytes.count % 32 == 0 else { return nil }
        return bytes.withUnsafeBytes { raw in
            (0..<(raw.count / 32)).map { Hash32(raw: UnsafeRawBufferPointer(rebasing: raw[($0 * 32)...])) }
        }
    }

    /// Parses 64 hex digits.
    package init?(hex: String) {
        guard let b = Hex.decode(hex) else { return nil }
        self.init(bytes: b)
    }

    /// SHA-256 of `data`.
    package static func sha256(_ data: some Sequence<UInt8>) -> Hash32 {
        var h = SHA256()
        h.update(data: Array(data))
        return Hash32(digest: h.finalize())
    }

    /// SHA-256 over the concatenation of `parts` (no lengths added: callers frame their input).
    package static func sha256(parts: [[UInt8]]) -> Hash32 {
        var h = SHA256()
        for p in parts { h.update(data: p) }
        return Hash32(digest: h.finalize())
    }

    /// Wraps a swift-crypto digest.
    package init(digest: SHA256.Digest) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        digest.withUnsafeBytes { raw in
            func word(_ at: Int) -> UInt64 {
                var v: UInt64 = 0
                for i in at..<(at + 8) { v = (v << 8) | UInt64(raw[i]) }
                return v
            }
            words = (word(0), word(8), word(16), word(24))
        }
        self.init(w0: words.0, w1: words.1, w2: words.2, w3: words.3)
    }

    /// The 32 bytes, big-endian words in order.
    package var bytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { buffer, count in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            raw.storeBytes(of: w0.bigEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: w1.bigEndian, toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: w2.bigEndian, toByteOffset: 16, as: UInt64.self)
            raw.storeBytes(of: w3.bigEndian, toByteOffset: 24, as: UInt64.self)
            count = 32
        }
    }

    /// The 32 bytes in place, without an array.
    package func withUnsafeBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let words = (w0.bigEndian, w1.bigEndian, w2.bigEndian, w3.bigEndian)
        return try Swift.withUnsafeBytes(of: words, body)
    }

    /// Bit `i` (0 = most significant bit of the first byte); used to walk sparse Merkle trees.
    package func bit(_ i: Int) -> Bool {
        precondition(i >= 0 && i < 256, "bit index out of range")
        let word: UInt64
        switch i >> 6 {   // no array: tree walks call this for every level
        case 0: word = w0
        case 1: word = w1
        case 2: word = w2
        default: word = w3
        }
        return (word >> UInt64(63 - i % 64)) & 1 == 1
    }

    /// Lowercase hex.
    package var hex: String { Hex.encode(bytes) }

    package var description: String { hex }

    package static func < (a: Hash32, b: Hash32) -> Bool {
        (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3)
    }

    /// Four big-endian words: the 32 bytes, with no array built.
    package func encode(to writer: inout CanonicalWriter) {
        writer.u64(w0); writer.u64(w1); writer.u64(w2); writer.u64(w3)
    }

    package init(from reader: inout CanonicalReader) throws(CodecError) {
        self = try reader.fixed(32, "Hash32") { Hash32(raw: $0) }
    }
}
