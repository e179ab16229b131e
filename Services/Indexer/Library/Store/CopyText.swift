import CityEncoding
import NIOCore

/// Rows in PostgreSQL's COPY text format (tab-separated, `\N` for NULL, backslash escapes), written
/// straight into a `ByteBuffer` for `PostgresConnection.copyFrom` (which takes text format only).
package struct CopyText {
    package private(set) var buffer: ByteBuffer
    private var first = true

    package init(capacity: Int = 64 * 1024) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    private mutating func separator() {
        if first { first = false } else { buffer.writeInteger(UInt8(ascii: "\t")) }
    }

    /// A NULL.
    package mutating func null() {
        separator()
        buffer.writeStaticString("\\N")
    }

    /// A text value, escaped.
    package mutating func text(_ s: String?) {
        guard let s else { return null() }
        separator()
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case 0x0A: buffer.writeStaticString("\\n")
            case 0x0D: buffer.writeStaticString("\\r")
            case 0x09: buffer.writeStaticString("\\t")
            default: buffer.writeInteger(b)
            }
        }
    }

    /// An integer.
    package mutating func int(_ v: (some BinaryInteger)?) {
        guard let v else { return null() }
        separator()
        buffer.writeString(String(v))
    }

    /// A boolean.
    package mutating func bool(_ v: Bool) {
        separator()
        buffer.writeInteger(v ? UInt8(ascii: "t") : UInt8(ascii: "f"))
    }

    private static let digits = Array("0123456789abcdef".utf8)

    /// A `bytea` in hex form (`\\x…` once COPY's own escaping is applied).
    package mutating func bytes(_ v: (some Sequence<UInt8>)?) {
        guard let v else { return null() }
        separator()
        buffer.writeStaticString("\\\\x")
        for b in v {
            buffer.writeInteger(Self.digits[Int(b >> 4)])
            buffer.writeInteger(Self.digits[Int(b & 0x0F)])
        }
    }

    /// A digest as `bytea`.
    package mutating func hash(_ v: Hash32?) { bytes(v.map(\.bytes)) }

    /// Ends the row.
    package mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        first = true
    }
}
