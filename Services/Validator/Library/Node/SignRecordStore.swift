import CityConsensus
import CityEncoding
import CityLedger
import Glibc

/// The consensus sign record on disk (`consensus.sign`): the last message this validator signed,
/// with its lock (docs/STORAGE.md, "Consensus sign record"). The core's `signing` action is staged
/// here (`stage`: written, not yet synced) and the message it covers is sent only once a sync that
/// covers it has finished (`beginSync` → `FileSync.run` off the actor → `finishSync`), so after a
/// crash the restarted core is restored from what it last sent (or later) and never signs against it.
///
/// At most one fdatasync per signing step, off the actor (issue 13 item 3): the file holds three
/// slots, at offsets 0, `slotBytes` and 2 × `slotBytes` (the file is sparse). A write goes in place
/// to a slot that holds neither the newest durable record nor one whose sync is running; records
/// staged while a sync runs overwrite each other in that free slot (the later supersedes the
/// earlier: its position is later and it carries the lock), and the next sync covers them all.
/// A crash mid-write tears only a slot whose message was never sent; the newest valid slot
/// (highest sequence) is the record.
///
/// Slot: `"CCSIGNR3" | u32 version (3) | u64 sequence | u32 length | canonical SignRecord<Block>
/// (empty: no signature yet) | u32 checksum` (first 4 bytes of SHA-256 over every byte before it).
/// A file in the older single-record format (`CCSIGNR2`, replaced atomically) is read and rewritten
/// as slot 0 at open; a two-slot file of an earlier build reads as is.
package final class SignRecordStore {
    /// The 8 magic bytes of a slot.
    package static let magic: [UInt8] = Array("CCSIGNR3".utf8)
    /// The format version this build writes.
    package static let version: UInt32 = 3
    /// The older single-record format's magic (read, then converted).
    static let legacyMagic: [UInt8] = Array("CCSIGNR2".utf8)
    /// Where slot 1 starts: room for the largest record a slot may hold.
    package static let slotBytes = StorageLimits.maxRecordBytes + 64
    /// Slots in the file.
    package static let slotCount = 3
    /// The file's path.
    package let path: String
    /// The record as last staged (nil: this validator never signed).
    package private(set) var record: SignRecord<Block>?
    /// Whether the file exists (with or without a signature in it).
    package private(set) var exists: Bool
    /// Sequence of the newest staged record, and of the newest durable one (what may be sent).
    package private(set) var sequence: UInt64
    package private(set) var durableSequence: UInt64
    /// Which slot holds the newest durable record, which one a running sync covers, and which one
    /// holds a record staged since (nil: none).
    private var durableSlot: Int?
    private var syncingSlot: Int?
    private var stagedSlot: Int?
    /// The directory must be synced with the first sync (the file was created by a stage).
    private var directoryUnsynced = false
    /// Bytes each slot's current record takes (nil: not written by this process). A shorter record
    /// written over a longer one clears the old tail, so no stale block bytes (a proposal's
    /// transactions, with payloads an erasure must reach) outlive their record in the file.
    private var slotLengths = [Int?](repeating: nil, count: SignRecordStore.slotCount)
    private let lock: StorageFile

    private init(path: String, record: SignRecord<Block>?, exists: Bool, sequence: UInt64, durableSlot: Int?, lock: StorageFile) {
        self.path = path
        self.record = record
        self.exists = exists
        (self.sequence, self.durableSequence) = (sequence, sequence)
        self.durableSlot = durableSlot
        self.lock = lock
    }

    /// Opens (or starts) the record at `path`, holding `<path>.lock` so no second process signs
    /// with it. A file with no valid slot refuses: the node cannot know what it last signed.
    package static func open(path: String) throws(BlockStoreError) -> SignRecordStore {
        let lock = try StorageFile(path: path + ".lock", create: true)
        try lock.lockExclusive()
        guard access(path, F_OK) == 0 else {
            return SignRecordStore(path: path, record: nil, exists: false, sequence: 0, durableSlot: nil, lock: lock)
        }
        let file = try StorageFile(path: path, create: false)
        defer { file.close() }
        let size = try file.size()
        let head = try file.read(offset: 0, count: min(size, legacyMagic.count))
        if head == legacyMagic {   // the older format: convert it once, atomically
            let legacy = try decodeLegacy(try file.read(offset: 0, count: size), path: path)
            try AtomicFile.write(encode(legacy, sequence: 1), to: path)
            return SignRecordStore(path: path, record: legacy, exists: true, sequence: 1, durableSlot: 0, lock: lock)
        }
        var best: (sequence: UInt64, slot: Int, record: SignRecord<Block>?)?
        var problems: [String] = []
        for slot in 0..<slotCount where size > slot * slotBytes {
            do {
                let found = try readSlot(file, at: slot * slotBytes, size: size, path: path)
                if best == nil || found.sequence > best!.sequence { best = (found.sequence, slot, found.record) }
            } catch {
                problems.append("slot \(slot): \(error.detail)")   // a torn write of a slot being replaced, or damage
            }
        }
        guard let best else {
            throw BlockStoreError(.corruptRecord, path: path, "no slot of the sign record is valid (\(problems.joined(separator: "; "))); \(advice)")
        }
        return SignRecordStore(path: path, record: best.record, exists: true, sequence: best.sequence, durableSlot: best.slot, lock: lock)
    }

    /// Writes a record that holds no signature when the file is missing (a voting validator's first
    /// start, or a start with `--sign-record-lost`), durably; no-op when it exists.
    package func markStarted() throws(BlockStoreError) {
        guard !exists else { return }
        try persist(nil)
    }

    /// Stages `record` and makes it durable before returning (no sync may be running).
    package func persist(_ record: SignRecord<Block>?) throws(BlockStoreError) {
        precondition(syncingSlot == nil, "persist waits for nothing: no sync may be running")
        try stage(record)
        guard let sync = beginSync() else { preconditionFailure("a staged record always has a sync to begin") }
        try sync.run()
        finishSync(sync)
    }

    /// Writes `record` to a free slot without syncing and returns its sequence; its message may be
    /// sent once `durableSequence` reaches it. Throws (and the caller must not send what it
    /// covers) when the write fails.
    @discardableResult
    package func stage(_ record: SignRecord<Block>?) throws(BlockStoreError) -> UInt64 {
        if let last = self.record, let record {
            precondition(!record.isBefore(height: last.height, round: last.round, step: last.step)
                         || (record.height, record.round, record.step) == (last.height, last.round, last.step),
                         "the core never signs behind its last record")
        }
        let slot = stagedSlot ?? (0..<Self.slotCount).first { $0 != durableSlot && $0 != syncingSlot }!
        let creating = !exists
        let file = try StorageFile(path: path, create: true)
        defer { file.close() }
        let bytes = Self.encode(record, sequence: sequence + 1)
        try file.write(bytes, at: slot * Self.slotBytes)
        let previous = slotLengths[slot] ?? Self.slotBytes
        if previous > bytes.count { try Self.clear(file, offset: slot * Self.slotBytes + bytes.count, length: previous - bytes.count) }
        slotLengths[slot] = bytes.count
        if creating { directoryUnsynced = true }
        (sequence, stagedSlot, exists, self.record) = (sequence + 1, slot, true, record)
        checkInvariants()
        return sequence
    }

    /// The sync that makes every staged record durable, or nil when none is staged or a sync is
    /// already running (its `finishSync` comes first). Run it anywhere, then hand it back.
    package func beginSync() -> FileSync? {
        guard syncingSlot == nil, let slot = stagedSlot else { return nil }
        (syncingSlot, stagedSlot) = (slot, nil)
        defer { directoryUnsynced = false }
        return FileSync(path: path, upTo: sequence, directory: directoryUnsynced)
    }

    /// A sync from `beginSync` finished without error: what it covered is durable.
    package func finishSync(_ sync: FileSync) {
        precondition(syncingSlot != nil && sync.upTo > durableSequence, "finishSync follows its beginSync once")
        (durableSlot, syncingSlot, durableSequence) = (syncingSlot, nil, sync.upTo)
        checkInvariants()
    }

    /// What holds between calls: three distinct roles for the slots, sequences in order.
    private func checkInvariants() {
        let used = [durableSlot, syncingSlot, stagedSlot].compactMap { $0 }
        precondition(Set(used).count == used.count, "sign record \(path): one slot in two roles")
        precondition(durableSequence <= sequence, "sign record \(path): durable past staged")
    }

    /// Zeroes `length` bytes at `offset` (a slot's stale tail): a hole where the filesystem can
    /// punch one, else zeros written over what the file holds there. Not part of any record, so
    /// neither order nor durability matters.
    static func clear(_ file: StorageFile, offset: Int, length: Int) throws(BlockStoreError) {
        do { try file.punchHole(offset: offset, length: length) } catch {
            let held = min(length, try file.size() - offset)
            if held > 0 { try file.write([UInt8](repeating: 0, count: held), at: offset) }
        }
    }

    /// Releases the lock; the record stays on disk.
    package func close() { lock.close() }

    /// One slot's bytes for `record` (nil: a record with no signature yet) at `sequence`.
    package static func encode(_ record: SignRecord<Block>?, sequence: UInt64) -> [UInt8] {
        let body = record?.canonicalBytes ?? []
        var w = CanonicalWriter(capacity: body.count + 32)
        w.fixed(magic)
        w.u32(version)
        w.u64(sequence)
        w.bytes(body)
        w.u32(RecordChecksum.of(w.bytes))
        return w.bytes
    }

    static let advice = "the validator cannot know what it last signed, so it will not sign: restore the file from a backup taken after the last signature, or follow docs/OPERATIONS.md, \"A missing sign record\" (docs/STORAGE.md, \"Consensus sign record\")"

    /// The slot at `offset`: its sequence and record, or `.badHeader` / `.corruptRecord`.
    static func readSlot(_ file: StorageFile, at offset: Int, size: Int, path: String) throws(BlockStoreError) -> (sequence: UInt64, record: SignRecord<Block>?) {
        let headerBytes = magic.count + 4 + 8 + 4
        guard size >= offset + headerBytes + 4 else { throw BlockStoreError(.badHeader, path: path, offset: offset, "the slot is cut short") }
        let header = try file.read(offset: offset, count: headerBytes)
        guard Array(header.prefix(magic.count)) == magic else {
            throw BlockStoreError(.badHeader, path: path, offset: offset, "no CCSIGNR3 magic")
        }
        let length = Int(header.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        guard length <= StorageLimits.maxRecordBytes, size >= offset + headerBytes + length + 4 else {
            throw BlockStoreError(.corruptRecord, path: path, offset: offset, "the slot's length \(length) runs past the file")
        }
        let bytes = try file.read(offset: offset, count: headerBytes + length + 4)
        let stored = bytes.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard RecordChecksum.of(bytes.dropLast(4)) == stored else {
            throw BlockStoreError(.corruptRecord, path: path, offset: offset, "the slot fails its checksum")
        }
        var r = CanonicalReader(bytes.dropLast(4))
        do {
            _ = try r.fixed(magic.count, "SignRecordSlot.magic")
            let v = try r.u32("SignRecordSlot.version")
            guard v == version else {
                throw BlockStoreError(.badHeader, path: path, offset: offset, "format version \(v); this build reads \(version): run the matching build")
            }
            let sequence = try r.u64("SignRecordSlot.sequence")
            let body = try r.bytes(max: StorageLimits.maxRecordBytes, "SignRecordSlot.record")
            try r.finish("SignRecordSlot")
            return (sequence, body.isEmpty ? nil : try SignRecord<Block>(canonicalBytes: body))
        } catch let e as BlockStoreError {
            throw e
        } catch {
            throw BlockStoreError(.corruptRecord, path: path, offset: offset, "the slot does not decode (\(error))")
        }
    }

    /// The older format: `"CCSIGNR2" | u32 version (1) | u32 length | record | u32 checksum`.
    static func decodeLegacy(_ bytes: [UInt8], path: String) throws(BlockStoreError) -> SignRecord<Block>? {
        guard bytes.count >= legacyMagic.count + 12 else {
            throw BlockStoreError(.badHeader, path: path, "the sign record is too short; \(advice)")
        }
        let stored = bytes.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard RecordChecksum.of(bytes.dropLast(4)) == stored else {
            throw BlockStoreError(.corruptRecord, path: path, "the sign record fails its checksum; \(advice)")
        }
        var r = CanonicalReader(bytes.dropLast(4))
        do {
            _ = try r.fixed(legacyMagic.count, "SignRecordFile.magic")
            guard try r.u32("SignRecordFile.version") == 1 else { throw BlockStoreError(.badHeader, path: path, "unknown CCSIGNR2 version; \(advice)") }
            let body = try r.bytes(max: StorageLimits.maxRecordBytes, "SignRecordFile.record")
            try r.finish("SignRecordFile")
            return body.isEmpty ? nil : try SignRecord<Block>(canonicalBytes: body)
        } catch let e as BlockStoreError {
            throw e
        } catch {
            throw BlockStoreError(.corruptRecord, path: path, "the sign record does not decode (\(error)); \(advice)")
        }
    }
}

