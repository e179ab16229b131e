import CityEncoding

/// The journal of an in-place block-log rewrite (docs/STORAGE.md, "Erasure"): `<log>.erase`,
/// written whole through a rename before the record is overwritten and removed after the
/// overwrite's fdatasync, so a crash in between leaves the rewrite to be finished at the next
/// open rather than a torn record in the middle of the log.
/// Format: `"CCERASE1" | u64 offset | bytes record | u32 checksum` (the checksum covers all before it).
package struct EraseJournal: Hashable, Sendable {
    /// Byte offset of the record in the log.
    package var offset: Int
    /// The whole framed record to write there (the same length as the one it replaces).
    package var record: [UInt8]

    static let magic = Array("CCERASE1".utf8)

    package var bytes: [UInt8] {
        var w = CanonicalWriter(capacity: record.count + 32)
        w.fixed(Self.magic)
        w.u64(UInt64(offset))
        w.bytes(record)
        w.u32(RecordChecksum.of([w.bytes]))
        return w.bytes
    }

    /// Decodes a journal file; throws naming `path` when it is damaged (it is written through a
    /// rename, so damage means the disk, not a crash).
    package static func decode(_ bytes: [UInt8], path: String) throws(BlockStoreError) -> EraseJournal {
        func bad(_ why: String) -> BlockStoreError {
            BlockStoreError(.corruptRecord, path: path, "the erase journal \(why); it is written whole through a rename, so the disk returned bad data: check the disk, then remove the file and resync the validator from peers")
        }
        guard bytes.count >= Self.magic.count + 8 + 4 + 4, Array(bytes.prefix(Self.magic.count)) == Self.magic else { throw bad("does not start with CCERASE1") }
        let body = Array(bytes.dropLast(4))
        let stored = bytes.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard RecordChecksum.of([body]) == stored else { throw bad("fails its checksum") }
        var r = CanonicalReader(body[Self.magic.count...])
        do {
            let offset = try r.u64("EraseJournal.offset")
            let record = try r.bytes(max: StorageLimits.maxRecordBytes + BlockRecord.prefixBytes, "EraseJournal.record")
            try r.finish("EraseJournal")
            return EraseJournal(offset: Int(offset), record: record)
        } catch {
            throw bad("does not decode (\(error))")
        }
    }
}
