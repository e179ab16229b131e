/// Reads values in CityChain's canonical binary encoding, refusing anything that is not the one
/// canonical form: truncated input, counts over the caller's limit, bools other than 0/1,
/// optional markers other than 0/1, invalid UTF-8. Call `finish()` to refuse trailing bytes.
package struct CanonicalReader: Sendable {
    private let storage: [UInt8]
    /// Offset of the next unread byte.
    package private(set) var offset: Int
    private let end: Int

    /// A reader over `bytes`.
    package init(_ bytes: [UInt8]) {
        storage = bytes
        offset = 0
        end = bytes.count
    }

    /// A reader over any byte collection (copied once).
    package init(_ bytes: some Collection<UInt8>) { self.init(Array(bytes)) }

    /// Bytes not yet read.
    package var remaining: Int { end - offset }

    /// The bytes read since `start` (an earlier `offset`): a value's own encoding, kept so that it
    /// need not be encoded again (the reader accepts only canonical forms, so they are the same).
    package func bytesRead(since start: Int) -> ArraySlice<UInt8> {
        precondition(start >= 0 && start <= offset, "\(start) is not an offset already read")
        return storage[start..<offset]
    }

    /// Throws `trailingBytes` unless every byte has been read.
    package func finish(_ field: String) throws(CodecError) {
        guard remaining == 0 else {
            throw CodecError(.trailingBytes, field: field, "\(remaining) unexpected bytes after the value; send exactly one encoded value")
        }
    }

    private mutating func take(_ n: Int, _ field: String) throws(CodecError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw .truncated(field, need: n, have: remaining) }
        defer { offset += n }
        return storage[offset..<(offset + n)]
    }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type, _ field: String) throws(CodecError) -> T {
        let size = MemoryLayout<T>.size
        let slice = try take(size, field)
        var v: T = 0
        for b in slice { v = (v << 8) | T(b) }
        return v
    }

    /// Reads one byte.
    package mutating func u8(_ field: String) throws(CodecError) -> UInt8 { try integer(UInt8.self, field) }
    /// Reads a big-endian `u16`.
    package mutating func u16(_ field: String) throws(CodecError) -> UInt16 { try integer(UInt16.self, field) }
    /// Reads a big-endian `u32`.
    package mutating func u32(_ field: String) throws(CodecError) -> UInt32 { try integer(UInt32.self, field) }
    /// Reads a big-endian `u64`.
    package mutating func u64(_ field: String) throws(CodecError) -> UInt64 { try integer(UInt64.self, field) }
    /// Reads a big-endian two's-complement `i64`.
    package mutating func i64(_ field: String) throws(CodecError) -> Int64 {
        Int64(bitPattern: try integer(UInt64.self, field))
    }

    /// Reads a bool; only 0 and 1 are canonical.
    package mutating func bool(_ field: String) throws(CodecError) -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let other: throw CodecError(.nonCanonical, field: field, "bool byte is \(other); only 0 and 1 are allowed")
        }
    }

    /// Reads exactly `count` bytes with no length prefix.
    package mutating func fixed(_ count: Int, _ field: String) throws(CodecError) -> [UInt8] {
        Array(try take(count, field))
    }

    /// Reads `count` bytes and hands them to `body` in place (no array made).
    package mutating func fixed<T>(_ count: Int, _ field: String, _ body: (UnsafeRawBufferPointer) -> T) throws(CodecError) -> T {
        let slice = try take(count, field)
        return slice.withUnsafeBytes(body)
    }

    /// Reads a `u32` length (at most `max`) then that many bytes.
    package mutating func bytes(max: Int, _ field: String) throws(CodecError) -> [UInt8] {
        let n = try count(max: max, field)
        return Array(try take(n, field))
    }

    /// Reads a UTF-8 string of at most `max` bytes; invalid UTF-8 is refused.
    package mutating func string(max: Int, _ field: String) throws(CodecError) -> String {
        let raw = try bytes(max: max, field)
        // ASCII (identifiers, most text) is valid UTF-8 as it is: one scan, and the fast decoding
        // of contiguous bytes; anything else is validated.
        let s: String? = raw.withUnsafeBufferPointer { buffer in
            buffer.allSatisfy { $0 < 0x80 } ? String(decoding: buffer, as: UTF8.self) : String(validating: buffer, as: UTF8.self)
        }
        guard let s else { throw CodecError(.nonCanonical, field: field, "not valid UTF-8") }
        return s
    }

    /// Reads a `u32` count and checks it against `max` before anything is allocated.
    package mutating func count(max: Int, _ field: String) throws(CodecError) -> Int {
        let n = Int(try u32(field))
        guard n <= max else { throw .overLimit(field, n, max: max) }
        return n
    }

    /// Reads a `u32` count (at most `max`) then that many elements.
    package mutating func array<T>(max: Int, _ field: String,
                                   _ element: (inout CanonicalReader) throws(CodecError) -> T) throws(CodecError) -> [T] {
        let n = try count(max: max, field)
        // Every element takes at least one byte, so a count larger than what is left is truncated input:
        // refuse it before reserving memory for it.
        guard n <= remaining else { throw .truncated(field, need: n, have: remaining) }
        var out: [T] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try element(&self)) }
        return out
    }

    /// Reads a `u32` count (at most `max`) then that many canonically encoded elements.
    package mutating func array<T: CanonicalDecodable>(max: Int, _ field: String) throws(CodecError) -> [T] {
        try array(max: max, field) { (r: inout CanonicalReader) throws(CodecError) in try T(from: &r) }
    }

    /// Reads an optional: 0 for nil, 1 then the value.
    package mutating func optional<T>(_ field: String,
                                      _ element: (inout CanonicalReader) throws(CodecError) -> T) throws(CodecError) -> T? {
        switch try u8(field) {
        case 0: return nil
        case 1: return try element(&self)
        case let other: throw CodecError(.nonCanonical, field: field, "optional marker is \(other); only 0 and 1 are allowed")
        }
    }

    /// Reads an optional canonically encoded value.
    package mutating func optional<T: CanonicalDecodable>(_ field: String) throws(CodecError) -> T? {
        try optional(field) { (r: inout CanonicalReader) throws(CodecError) in try T(from: &r) }
    }

    /// Reads a canonically encoded value.
    package mutating func decode<T: CanonicalDecodable>(_: T.Type = T.self) throws(CodecError) -> T {
        try T(from: &self)
    }
}
