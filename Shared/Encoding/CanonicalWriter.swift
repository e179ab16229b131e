/// Appends values in CityChain's canonical binary encoding (docs/PROTOCOL.md, "Canonical encoding").
///
/// Integers are fixed-width big-endian; variable-length byte strings, strings and arrays carry a
/// `u32` big-endian count first; optionals are a `u8` 0 (absent) or 1 (present) then the value;
/// enums are a `u8` tag then their fields. Every value therefore has exactly one encoding.
package struct CanonicalWriter: Sendable {
    /// The bytes written so far.
    package private(set) var bytes: [UInt8]

    /// An empty writer, with room for `capacity` bytes.
    package init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Writes one byte.
    package mutating func u8(_ v: UInt8) { bytes.append(v) }
    /// Writes a big-endian `u16`.
    package mutating func u16(_ v: UInt16) { appendBigEndian(v) }
    /// Writes a big-endian `u32`.
    package mutating func u32(_ v: UInt32) { appendBigEndian(v) }
    /// Writes a big-endian `u64`.
    package mutating func u64(_ v: UInt64) { appendBigEndian(v) }
    /// Writes a big-endian two's-complement `i64`.
    package mutating func i64(_ v: Int64) { appendBigEndian(UInt64(bitPattern: v)) }
    /// Writes a bool as one byte, 0 or 1.
    package mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }

    /// Writes bytes with no length prefix (for fixed-size fields such as hashes and keys).
    package mutating func fixed(_ v: some Sequence<UInt8>) { bytes.append(contentsOf: v) }

    /// Writes a `u32` length then the bytes.
    package mutating func bytes(_ v: some Collection<UInt8>) {
        precondition(v.count <= Int(UInt32.max), "byte string too long to encode")
        u32(UInt32(v.count))
        bytes.append(contentsOf: v)
    }

    /// Writes a string as its UTF-8 bytes with a `u32` length.
    package mutating func string(_ v: String) { bytes(Array(v.utf8)) }

    /// Writes a `u32` count then each element.
    package mutating func array<C: Collection>(_ items: C, _ element: (inout CanonicalWriter, C.Element) -> Void) {
        precondition(items.count <= Int(UInt32.max), "array too long to encode")
        u32(UInt32(items.count))
        for item in items { element(&self, item) }
    }

    /// Writes a `u32` count then each element's canonical encoding.
    package mutating func array<C: Collection>(_ items: C) where C.Element: CanonicalEncodable {
        array(items) { w, item in item.encode(to: &w) }
    }

    /// Writes 0 for nil, or 1 and then the value.
    package mutating func optional<T>(_ v: T?, _ element: (inout CanonicalWriter, T) -> Void) {
        if let v {
            u8(1)
            element(&self, v)
        } else {
            u8(0)
        }
    }

    /// Writes 0 for nil, or 1 and then the value's canonical encoding.
    package mutating func optional<T: CanonicalEncodable>(_ v: T?) {
        optional(v) { w, value in value.encode(to: &w) }
    }

    /// Writes a value's canonical encoding.
    package mutating func encode(_ v: some CanonicalEncodable) { v.encode(to: &self) }

    private mutating func appendBigEndian<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
