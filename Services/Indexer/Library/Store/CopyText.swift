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
        guard var s else { return null() }
        separator()
        s.withUTF8 { Self.escape($0, into: &buffer) }
    }

    /// Writes `text` with COPY's escapes (backslash, newline, carriage return, tab), in one pass
    /// over raw memory: the per-byte `ByteBuffer` calls this replaces cost 90% of the indexer's
    /// CPU on large payloads in a debug build.
    private static func escape(_ text: UnsafeBufferPointer<UInt8>, into buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 2 * text.count) { out in
            var o = 0
            for b in text {
                let escaped: UInt8? = switch b {
                case UInt8(ascii: "\\"): UInt8(ascii: "\\")
                case 0x0A: UInt8(ascii: "n")
                case 0x0D: UInt8(ascii: "r")
                case 0x09: UInt8(ascii: "t")
                default: nil
                }
                if let escaped {
                    out[o] = UInt8(ascii: "\\"); out[o + 1] = escaped; o += 2
                } else {
                    out[o] = b; o += 1
                }
            }
            return o
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
        if v.withContiguousStorageIfAvailable({ Self.hex($0, into: &buffer) }) == nil {
            Array(v).withUnsafeBufferPointer { Self.hex($0, into: &buffer) }
        }
    }

    /// Two hex digits per byte, written in one pass over raw memory (as `escape`).
    private static func hex(_ bytes: UnsafeBufferPointer<UInt8>, into buffer: inout ByteBuffer) {
        digits.withUnsafeBufferPointer { d in
            _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 2 * bytes.count) { out in
                for (i, b) in bytes.enumerated() {
                    out[2 * i] = d[Int(b >> 4)]
                    out[2 * i + 1] = d[Int(b & 0x0F)]
                }
                return 2 * bytes.count
            }
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
