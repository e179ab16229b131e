import CityEncoding
import CityLedger

/// What a pruned block log keeps beside it (`blocks.prune`, docs/STORAGE.md, "Pruning"): the
/// certified block below the first record still held, and the byte offset of that record. The
/// bytes before it are freed (a hole punched in the file, its size kept), so pruning copies
/// nothing and costs two small writes whatever the log's size.
///
/// `"CCPRUNE1" | u32 version 1 | u64 recordOffset | BlockHeader | CommitCertificate | u32 checksum`,
/// the checksum (RecordChecksum) covering every byte before it; written atomically (temp file,
/// fdatasync, rename, directory fsync) before any byte is freed. Pure: encodes and decodes.
package struct PruneMark: Hashable, Sendable {
    package static let magic: [UInt8] = Array("CCPRUNE1".utf8)
    package static let version: UInt32 = 1
    /// Largest file: the header and a certificate of the largest validator set, with room.
    package static let maxBytes = 1024 * 1024

    /// The block below the first record held.
    package var base: BlockLogBase
    /// Byte offset in `blocks.log` of the record of `base.height + 1` (the end of the file when none).
    package var recordOffset: Int

    package init(base: BlockLogBase, recordOffset: Int) {
        self.base = base
        self.recordOffset = recordOffset
    }

    package var bytes: [UInt8] {
        var w = CanonicalWriter(capacity: 512)
        w.fixed(Self.magic)
        w.u32(Self.version)
        w.u64(UInt64(recordOffset))
        w.encode(base.header)
        w.encode(base.certificate)
        w.u32(RecordChecksum.of(w.bytes))
        return w.bytes
    }

    /// Decodes a whole mark file; throws `.badHeader` naming `path` otherwise.
    package static func decode(_ bytes: [UInt8], path: String) throws(BlockStoreError) -> PruneMark {
        func bad(_ why: String) -> BlockStoreError {
            BlockStoreError(.badHeader, path: path, offset: 0,
                            "\(why): the block log's prune mark is damaged; without it the log cannot be read past its freed prefix: restore the data directory from a backup or start it again with --state-sync")
        }
        guard bytes.count > magic.count + 8, Array(bytes[0..<magic.count]) == magic else { throw bad("the file does not start with \"CCPRUNE1\"") }
        guard RecordChecksum.of(bytes[0..<(bytes.count - 4)]) == bytes[(bytes.count - 4)...].reduce(UInt32(0), { $0 << 8 | UInt32($1) }) else {
            throw bad("its checksum does not match")
        }
        var r = CanonicalReader(bytes[magic.count..<(bytes.count - 4)])
        do {
            let v = try r.u32("PruneMark.version")
            guard v == version else { throw bad("format version \(v), this build reads \(version)") }
            let offset = try r.u64("PruneMark.recordOffset")
            let header = try r.decode(BlockHeader.self)
            let certificate = try r.decode(CommitCertificate.self)
            guard offset <= UInt64(Int.max), header.height >= 1,
                  LogTip.certificateRefusal(certificate, for: header, hash: header.hash) == nil else { throw bad("its base block or offset is invalid") }
            return PruneMark(base: BlockLogBase(header: header, certificate: certificate), recordOffset: Int(offset))
        } catch let e as BlockStoreError {
            throw e
        } catch {
            throw bad("it does not decode (\(error))")
        }
    }
}
