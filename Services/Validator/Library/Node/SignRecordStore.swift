import CityConsensus
import CityEncoding
import CityLedger

/// The consensus sign record on disk (`consensus.sign`): the last message this validator signed,
/// with its lock (docs/STORAGE.md, "Consensus sign record"). `persist` replaces the file
/// atomically (temp, fdatasync, rename, directory fsync) and returns only once it is durable; the
/// core's `signing` action is carried out with it before the signed message is sent, so after a
/// crash the restarted core is restored from what it last sent and never signs against it.
///
/// File: `"CCSIGNR2" | u32 version (1) | u32 length | canonical SignRecord<Block> | u32 checksum`,
/// the checksum (first 4 bytes of SHA-256) covering every byte before it. A length of 0 is a
/// record that holds no signature yet: a voting validator writes it at its first start
/// (`markStarted`), so that afterwards a missing file always means a lost one (`SignRecordGuard`).
package final class SignRecordStore {
    /// The 8 magic bytes.
    package static let magic: [UInt8] = Array("CCSIGNR2".utf8)
    /// The format version this build reads and writes.
    package static let version: UInt32 = 1
    /// The file's path.
    package let path: String
    /// The record as last persisted (nil: this validator never signed).
    package private(set) var record: SignRecord<Block>?
    /// Whether the file exists (with or without a signature in it).
    package private(set) var exists: Bool
    private let lock: StorageFile

    private init(path: String, record: SignRecord<Block>?, exists: Bool, lock: StorageFile) {
        self.path = path
        self.record = record
        self.exists = exists
        self.lock = lock
    }

    /// Opens (or starts) the record at `path`, holding `<path>.lock` so no second process signs
    /// with it. A damaged file refuses: the node cannot know what it last signed.
    package static func open(path: String) throws(BlockStoreError) -> SignRecordStore {
        let lock = try StorageFile(path: path + ".lock", create: true)
        try lock.lockExclusive()
        guard let bytes = try AtomicFile.read(path) else { return SignRecordStore(path: path, record: nil, exists: false, lock: lock) }
        return SignRecordStore(path: path, record: try decode(bytes, path: path), exists: true, lock: lock)
    }

    /// Writes a record that holds no signature when the file is missing (a voting validator's first
    /// start, or a start with `--sign-record-lost`), durably; no-op when it exists.
    package func markStarted() throws(BlockStoreError) {
        guard !exists else { return }
        try AtomicFile.write(Self.encode(nil), to: path)
        exists = true
    }

    /// Makes `record` durable; throws (and the caller must not send what it covers) when the
    /// write or a sync fails.
    package func persist(_ record: SignRecord<Block>) throws(BlockStoreError) {
        if let last = self.record {
            precondition(!record.isBefore(height: last.height, round: last.round, step: last.step)
                         || (record.height, record.round, record.step) == (last.height, last.round, last.step),
                         "the core never signs behind its last record")
        }
        try AtomicFile.write(Self.encode(record), to: path)
        self.record = record
        exists = true
    }

    /// Releases the lock; the record stays on disk.
    package func close() { lock.close() }

    /// The file bytes for `record` (nil: a record with no signature yet).
    package static func encode(_ record: SignRecord<Block>?) -> [UInt8] {
        let body = record?.canonicalBytes ?? []
        var w = CanonicalWriter(capacity: body.count + 24)
        w.fixed(magic)
        w.u32(version)
        w.bytes(body)
        w.u32(RecordChecksum.of(w.bytes))
        return w.bytes
    }

    /// The record in `bytes`, or `.badHeader` / `.corruptRecord` naming what is wrong and what to do.
    package static func decode(_ bytes: [UInt8], path: String) throws(BlockStoreError) -> SignRecord<Block>? {
        let action = "the validator cannot know what it last signed, so it will not sign: restore the file from a backup taken after the last signature, or move it aside only once the chain is past every height this validator may have signed (docs/STORAGE.md, \"Consensus sign record\")"
        guard bytes.count >= magic.count + 12, Array(bytes.prefix(magic.count)) == magic else {
            throw BlockStoreError(.badHeader, path: path, "not a consensus sign record (no CCSIGNR2 magic, or too short); \(action)")
        }
        let stored = bytes.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard RecordChecksum.of(bytes.dropLast(4)) == stored else {
            throw BlockStoreError(.corruptRecord, path: path, "the sign record fails its checksum; \(action)")
        }
        var r = CanonicalReader(bytes.dropLast(4))
        do {
            _ = try r.fixed(magic.count, "SignRecordFile.magic")
            let v = try r.u32("SignRecordFile.version")
            guard v == version else {
                throw BlockStoreError(.badHeader, path: path, "format version \(v); this build reads \(version): run the matching build")
            }
            let body = try r.bytes(max: StorageLimits.maxRecordBytes, "SignRecordFile.record")
            try r.finish("SignRecordFile")
            return body.isEmpty ? nil : try SignRecord<Block>(canonicalBytes: body)
        } catch let e as BlockStoreError {
            throw e
        } catch {
            throw BlockStoreError(.corruptRecord, path: path, "the sign record does not decode (\(error)); \(action)")
        }
    }
}
