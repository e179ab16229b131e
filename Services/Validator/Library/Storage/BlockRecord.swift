import CityEncoding
import CityLedger

/// One block-log record (docs/STORAGE.md, "Block log"):
/// `u32 payloadLength | u32 checksum | payload`, big-endian, where the payload is the canonical
/// `Block` followed by the canonical `CommitCertificate` and the checksum covers the length
/// field and the payload (so a damaged length is caught too). Pure: works on byte arrays.
@MemberwiseInit
package struct BlockRecord: Hashable, Sendable {
    /// Bytes before the payload: length and checksum.
    package static let prefixBytes = 8

    /// The block.
    package var block: Block
    /// The certificate that commits it.
    package var certificate: CommitCertificate

    /// The record's framed bytes: prefix then payload.
    package var framedBytes: [UInt8] { Self.frame(payload: payloadBytes) }

    /// The canonical payload: block then certificate.
    package var payloadBytes: [UInt8] {
        var w = CanonicalWriter(capacity: 4096)
        w.encode(block)
        w.encode(certificate)
        return w.bytes
    }

    /// Frames `payload` with its length and checksum.
    package static func frame(payload: [UInt8]) -> [UInt8] {
        precondition(payload.count <= StorageLimits.maxRecordBytes, "record of \(payload.count) bytes is over maxRecordBytes")
        let length = lengthBytes(payload.count)
        var w = CanonicalWriter(capacity: prefixBytes + payload.count)
        w.fixed(length)
        w.u32(RecordChecksum.of([length, payload]))
        w.fixed(payload)
        return w.bytes
    }

    /// The big-endian bytes of a length field.
    static func lengthBytes(_ n: Int) -> [UInt8] {
        let v = UInt32(n)
        return [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
    }

    /// Reads a prefix: the payload length and the stored checksum. `prefix` holds at least 8 bytes.
    package static func parsePrefix(_ prefix: ArraySlice<UInt8>) -> (length: Int, checksum: UInt32) {
        precondition(prefix.count >= prefixBytes, "a record prefix is 8 bytes")
        let b = Array(prefix.prefix(prefixBytes))
        let length = Int(UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3]))
        let checksum = UInt32(b[4]) << 24 | UInt32(b[5]) << 16 | UInt32(b[6]) << 8 | UInt32(b[7])
        return (length, checksum)
    }

    /// True when `checksum` matches the length field and payload.
    package static func checksumMatches(length: Int, checksum: UInt32, payload: ArraySlice<UInt8>) -> Bool {
        RecordChecksum.of([lengthBytes(length), Array(payload)]) == checksum
    }

    /// A plausible length: non-empty and within `maxRecordBytes`.
    package static func isPlausible(length: Int) -> Bool { length > 0 && length <= StorageLimits.maxRecordBytes }

    /// Decodes a whole payload; trailing bytes are refused, but for zero padding (a record rewritten
    /// in place with payloads erased keeps its length: `BlockLog.erasePayloads`).
    package static func decode(payload: some Collection<UInt8>) throws(CodecError) -> BlockRecord {
        var r = CanonicalReader(payload)
        let block = try Block(from: &r)
        let certificate = try CommitCertificate(from: &r)
        while r.remaining > 0 {
            guard try r.u8("BlockRecord.padding") == 0 else {
                throw CodecError(.trailingBytes, field: "BlockRecord", "\(r.remaining + 1) bytes after the certificate are not zero padding")
            }
        }
        return BlockRecord(block: block, certificate: certificate)
    }

    /// The framed record of `self` padded with zeros to the payload length `length` (an in-place
    /// rewrite of a record of that length); nil when it does not fit.
    package func framed(paddedTo length: Int) -> [UInt8]? {
        var payload = payloadBytes
        guard payload.count <= length else { return nil }
        payload += [UInt8](repeating: 0, count: length - payload.count)
        return Self.frame(payload: payload)
    }

    /// Decodes only the block header at the start of a payload (what open-time scanning needs).
    package static func decodeHeader(payload: some Collection<UInt8>) throws(CodecError) -> BlockHeader {
        var r = CanonicalReader(payload)
        return try BlockHeader(from: &r)
    }
}
