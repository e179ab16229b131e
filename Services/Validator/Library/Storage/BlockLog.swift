import CityEncoding
import CityLedger
import Glibc
import Logging

/// The validator's append-only block log (docs/STORAGE.md, "Block log"): one file holding a
/// header then one checksummed record per committed block and its certificate, heights
/// contiguous from 1 (or from just above its base: a log made by state sync or pruning starts after
/// a certified block whose header and certificate its file header holds), each block linked to
/// its parent.
///
/// `append` returns only after fdatasync, so a commit may be acknowledged once it returns; with
/// `sync: false` it only writes, and `beginSync` / `FileSync.run` (anywhere) / `finishSync` make the
/// written heights durable later (`durableHeight`), so the validator's actor never waits on the disk.
/// Opening scans the file: a torn tail is cut (with a warning saying how many bytes), corruption
/// in the middle refuses to open. An exclusive flock keeps a second process (or a second open)
/// out. Not thread-safe: the validator owns one instance from one task or actor.
package final class BlockLog {
    /// The log file's path.
    package let path: String
    /// The chain the log holds.
    package var chainID: String { tip.chainID }
    /// Hash of the genesis the log starts from (block 1's parent).
    package let genesisHash: Hash32
    private let file: StorageFile
    private let logger: Logger
    /// The certified block below the first record (nil: the log starts at height 1): the file
    /// header's (state sync), or the prune mark's once pruned.
    package private(set) var base: BlockLogBase?
    /// Where the prune mark lives (`<log>.prune`).
    package var prunePath: String { path + ".prune" }
    /// Byte offset of the record of height `baseHeight + i + 1` at index `i`: the only per-height memory (one Int).
    private var offsets: [Int]
    private var tip: LogTip
    /// Byte offset where the next record goes.
    private var end: Int
    /// The last height known to be on disk (appended with a sync, or covered by a finished sync).
    package private(set) var durableHeight: UInt64
    /// Whether a sync from `beginSync` has not finished yet.
    private var syncRunning = false

    /// Height of the last stored block (0 when empty; the base height when only the base is held).
    package var lastHeight: UInt64 { tip.lastHeight }
    /// The base height: records start at `baseHeight + 1` (0 for a log from genesis).
    package var baseHeight: UInt64 { base?.height ?? 0 }
    /// Hash of the last stored block's header (the genesis hash when empty).
    package var lastHash: Hash32 { tip.lastHash }

    private init(path: String, file: StorageFile, logger: Logger, scan: BlockLogScan.Outcome) {
        self.path = path
        self.file = file
        self.logger = logger
        genesisHash = scan.header.genesisHash
        base = scan.base
        offsets = scan.recordOffsets
        tip = scan.tip
        end = scan.validEnd
        durableHeight = scan.tip.lastHeight
        checkInvariants()
    }

    /// Opens (or creates) the log at `path` for `chainID` and `genesisHash`, locks it, scans it,
    /// cuts a torn tail and indexes every record. A log created here starts at height 1, or after
    /// `base` when given (state sync); `base` is ignored when the log exists. Throws
    /// `BlockStoreError` naming the file, offset and height for a lock held elsewhere, a foreign or
    /// damaged header, or corruption.
    package static func open(path: String, chainID: String, genesisHash: Hash32, base: BlockLogBase? = nil,
                             logger: Logger = Logger(label: "citychain.blocklog")) throws(BlockStoreError) -> BlockLog {
        if access(path, F_OK) != 0 {
            // The header goes in through a rename, so a crash never leaves a log with half a header.
            try AtomicFile.write(BlockLogHeader(chainID: chainID, genesisHash: genesisHash, base: base).bytes, to: path)
            logger.info("created block log", metadata: ["storage.path": "\(path)", "chain.id": "\(chainID)"])
        }
        let file = try StorageFile(path: path, create: false)
        try file.lockExclusive()
        try finishErasure(file: file, path: path, logger: logger)
        let size = try file.size()
        var pruned: PruneMark?
        if access(path + ".prune", F_OK) == 0 {
            let markFile = try StorageFile(path: path + ".prune", create: false)
            defer { markFile.close() }
            pruned = try PruneMark.decode(try markFile.read(offset: 0, count: min(try markFile.size(), PruneMark.maxBytes)), path: path + ".prune")
        }
        let scan = try BlockLogScan.scan(StorageFileBytes(file: file, count: size), path: path,
                                         chainID: chainID, genesisHash: genesisHash, pruned: pruned)
        if scan.tornBytes > 0 {
            logger.warning("block log had a torn tail (an append that never reached fsync); cut it", metadata: [
                "storage.path": "\(path)", "storage.cutBytes": "\(scan.tornBytes)",
                "storage.cutAtOffset": "\(scan.validEnd)", "chain.height": "\(scan.tip.lastHeight)",
            ])
            try file.truncate(to: scan.validEnd)
        }
        return BlockLog(path: path, file: file, logger: logger, scan: scan)
    }

    /// Closes the file and releases the lock; later calls throw `.closed`.
    package func close() { file.close() }

    /// Appends one committed block with its certificate and returns after fdatasync.
    package func append(_ block: Block, certificate: CommitCertificate, sync: Bool = true) throws(BlockStoreError) {
        try append(contentsOf: [BlockRecord(block: block, certificate: certificate)], sync: sync)
    }

    /// Appends blocks in height order with one write and one fdatasync. Each must follow the
    /// previous (height, parent hash, chain id) and carry a certificate for its own hash; the
    /// framed batch stays within `StorageLimits.maxBatchBytes`. Nothing is written if any is refused.
    package func append(contentsOf records: [BlockRecord], sync: Bool = true) throws(BlockStoreError) {
        guard !records.isEmpty else { return }
        var next = tip
        var bytes: [UInt8] = []
        var newOffsets: [Int] = []
        newOffsets.reserveCapacity(records.count)
        for record in records {
            let header = record.block.header
            let hash = header.hash
            if let why = next.refusal(header) ?? LogTip.certificateRefusal(record.certificate, for: header, hash: hash) {
                throw BlockStoreError(.outOfOrder, path: path, height: header.height,
                                      "\(why); append only certified blocks in height order, after verifying them")
            }
            let payload = record.payloadBytes
            guard payload.count <= StorageLimits.maxRecordBytes,
                  bytes.count + BlockRecord.prefixBytes + payload.count <= StorageLimits.maxBatchBytes else {
                throw BlockStoreError(.tooLarge, path: path, height: header.height,
                                      "record of \(payload.count) bytes (batch so far \(bytes.count)) is over maxRecordBytes \(StorageLimits.maxRecordBytes) or maxBatchBytes \(StorageLimits.maxBatchBytes); produce smaller blocks or append in smaller batches")
            }
            newOffsets.append(end + bytes.count)
            bytes += BlockRecord.frame(payload: payload)
            next.advance(to: header, hash: hash)
        }
        do {
            try file.write(bytes, at: end)
            if sync { try file.sync() }
        } catch {
            // After a failed write or fsync the page cache no longer says what is on disk: stop
            // using this handle; reopening scans the file and cuts whatever did not make it.
            file.close()
            throw error
        }
        end += bytes.count
        offsets += newOffsets
        tip = next
        if sync { durableHeight = tip.lastHeight }
        checkInvariants()
    }

    /// The sync that makes every written height durable, or nil when all are or a sync is running
    /// (its `finishSync` comes first).
    package func beginSync() -> FileSync? {
        guard !syncRunning, durableHeight < lastHeight else { return nil }
        syncRunning = true
        return FileSync(path: path, upTo: lastHeight, directory: false)
    }

    /// fdatasync now, on the caller's thread (at a stop).
    package func syncNow() throws(BlockStoreError) {
        try file.sync()
        if !syncRunning { durableHeight = lastHeight }
    }

    /// A sync from `beginSync` returned without error: the heights it covered are durable.
    package func finishSync(_ sync: FileSync) {
        precondition(syncRunning && sync.upTo <= lastHeight, "finishSync follows its beginSync once")
        syncRunning = false
        durableHeight = max(durableHeight, sync.upTo)
    }

    /// What holds between appends: one record offset per height, in order, each before the end.
    private func checkInvariants() {
        precondition(offsets.count == Int(tip.lastHeight - baseHeight), "block log \(path): \(offsets.count) records for heights \(baseHeight + 1)...\(tip.lastHeight)")
        precondition(durableHeight <= tip.lastHeight, "block log \(path): durable past the last height")
        precondition(offsets.last.map { $0 < end } ?? true, "block log \(path): the last record starts at or past the end \(end)")
        assert(offsets.count < 2 || offsets[offsets.count - 2] < offsets[offsets.count - 1], "block log \(path): record offsets increase")
    }

    /// Whether the log holds the block at `height` (`baseHeight + 1 ... lastHeight`).
    package func holds(_ height: UInt64) -> Bool { height > baseHeight && height <= lastHeight }

    /// The block and certificate at `height` (baseHeight+1...lastHeight), re-checked after reading:
    /// checksum, decoding, height, chain id and that the certificate is for this block.
    package func record(at height: UInt64) throws(BlockStoreError) -> BlockRecord {
        guard holds(height) else {
            let held = lastHeight > baseHeight ? "heights \(baseHeight + 1)...\(lastHeight)" : "no block yet"
            let fix = height > lastHeight ? "fetch later blocks from peers"
                : "blocks up to \(baseHeight) are not kept here (state sync or pruning started the log after them): fetch them from an archive node"
            throw BlockStoreError(.notFound, path: path, height: height, "the log holds \(held); \(fix)")
        }
        let index = Int(height - baseHeight - 1)
        let offset = offsets[index]
        let nextOffset = index + 1 < offsets.count ? offsets[index + 1] : end
        let bytes = try file.read(offset: offset, count: nextOffset - offset)
        let (length, checksum) = BlockRecord.parsePrefix(bytes[...])
        let payload = bytes[BlockRecord.prefixBytes...]
        guard length == payload.count, BlockRecord.checksumMatches(length: length, checksum: checksum, payload: payload) else {
            throw BlockStoreError(.corruptRecord, path: path, offset: offset, height: height,
                                  "the record was valid when the log was opened but fails its checksum now: the disk is returning bad data; stop the validator, check the disk, restore from a backup or resync from peers")
        }
        let record: BlockRecord
        do { record = try BlockRecord.decode(payload: payload) } catch {
            throw BlockLogScan.chainBreak(path, offset, height, "the record does not decode (\(error))")
        }
        let header = record.block.header
        let why = header.height != height ? "the record holds height \(header.height)"
            : header.chainID != chainID ? "the record is for chain \"\(header.chainID)\""
            : LogTip.certificateRefusal(record.certificate, for: header, hash: header.hash)
        if let why { throw BlockLogScan.chainBreak(path, offset, height, why) }
        return record
    }

    /// Prunes the log through `height` (docs/STORAGE.md, "Pruning"): the blocks up to it are no
    /// longer held, block `height` becomes the base (its header and certificate kept in the prune
    /// mark), and the disk blocks before the next record are freed. The mark is written durably
    /// before anything is freed, so a crash in between leaves a log that opens after the new base.
    /// `height` must be held (or be the base) and durable. Returns the bytes the file takes on disk
    /// before and after.
    @discardableResult
    package func prune(through height: UInt64) throws(BlockStoreError) -> (before: Int, after: Int) {
        guard height > baseHeight else { return (try file.allocatedBytes(), try file.allocatedBytes()) }
        guard height <= durableHeight else {
            throw BlockStoreError(.outOfOrder, path: path, height: height, "prune only blocks on disk (durable through \(durableHeight)); nothing was changed")
        }
        let before = try file.allocatedBytes()
        let kept = try certifiedHeader(at: height)
        let index = Int(height - baseHeight)
        let recordOffset = index < offsets.count ? offsets[index] : end
        try AtomicFile.write(PruneMark(base: BlockLogBase(header: kept.header, certificate: kept.certificate), recordOffset: recordOffset).bytes,
                             to: prunePath)
        let firstFreed = offsets.first ?? recordOffset
        base = BlockLogBase(header: kept.header, certificate: kept.certificate)
        offsets.removeFirst(index)
        checkInvariants()
        do { try file.punchHole(offset: firstFreed, length: recordOffset - firstFreed) } catch {
            logger.warning("blocks pruned but their disk space not freed: this filesystem cannot punch holes", metadata: [
                "storage.path": "\(path)", "chain.height": "\(height)", "error": "\(error.detail)"])
        }
        return (before, try file.allocatedBytes())
    }

    /// Bytes the log file takes on disk.
    package func allocatedBytes() throws(BlockStoreError) -> Int { try file.allocatedBytes() }

    /// The header and commit certificate of the block at `height`: the base's, or a record's.
    package func certifiedHeader(at height: UInt64) throws(BlockStoreError) -> (header: BlockHeader, certificate: CommitCertificate) {
        if let base, height == base.height { return (base.header, base.certificate) }
        let record = try record(at: height)
        return (record.block.header, record.certificate)
    }

    /// The block at `height`.
    package func block(at height: UInt64) throws(BlockStoreError) -> Block { try record(at: height).block }

    // MARK: - Erasure

    /// Where the journal of an in-place rewrite lives (`<log>.erase`).
    package var erasePath: String { path + ".erase" }

    /// Rewrites the record at `height` in place with the payloads of the transactions `erase`
    /// picks dropped (`SignedTransaction.erasingPayload`: ids, signatures and the transactions root
    /// unchanged, so the certificate still verifies), padded with zeros to its old length
    /// (docs/STORAGE.md, "Erasure"). Journaled: the new record goes to `<log>.erase` through a
    /// rename first, then over the old one, fdatasync, and the journal is removed; a crash in
    /// between is finished at the next open. The height must be durable. Returns how many payloads
    /// were dropped (0: nothing written).
    @discardableResult
    package func erasePayloads(at height: UInt64, where erase: (SignedTransaction) -> Bool) throws(BlockStoreError) -> Int {
        guard height <= durableHeight else {
            throw BlockStoreError(.outOfOrder, path: path, height: height, "erase payloads only in blocks on disk (durable through \(durableHeight))")
        }
        var record = try record(at: height)
        var dropped = 0
        for i in record.block.transactions.indices {
            let tx = record.block.transactions[i]
            guard tx.payloadBytes != nil, erase(tx) else { continue }
            record.block.transactions[i] = tx.erasingPayload
            dropped += 1
        }
        guard dropped > 0 else { return 0 }
        let index = Int(height - baseHeight - 1)
        let offset = offsets[index]
        let oldLength = (index + 1 < offsets.count ? offsets[index + 1] : end) - offset - BlockRecord.prefixBytes
        guard let framed = record.framed(paddedTo: oldLength) else {
            preconditionFailure("block \(height): dropping payloads made the record longer")
        }
        try AtomicFile.write(EraseJournal(offset: offset, record: framed).bytes, to: erasePath)
        do {
            try file.write(framed, at: offset)
            try file.sync()
        } catch {
            file.close()   // as after a failed append: the next open finishes the rewrite from the journal
            throw error
        }
        Self.removeJournal(erasePath)
        return dropped
    }

    /// Finishes a rewrite a crash interrupted (its journal exists): writes the journaled record,
    /// fdatasync, removes the journal.
    private static func finishErasure(file: StorageFile, path: String, logger: Logger) throws(BlockStoreError) {
        guard let bytes = try AtomicFile.read(path + ".erase") else { return }
        let journal = try EraseJournal.decode(bytes, path: path + ".erase")
        guard journal.offset + journal.record.count <= (try file.size()) else {
            throw BlockStoreError(.corruptRecord, path: path + ".erase", offset: journal.offset,
                                  "the erase journal names bytes past the end of the log; check the disk, then remove the journal and resync the validator")
        }
        try file.write(journal.record, at: journal.offset)
        try file.sync()
        removeJournal(path + ".erase")
        logger.warning("finished an erasure a crash interrupted", metadata: ["storage.path": "\(path)", "storage.offset": "\(journal.offset)"])
    }

    private static func removeJournal(_ path: String) {
        unlink(path)
        try? AtomicFile.syncDirectory(of: path)
    }

    /// What a reader off the owner's thread needs to read the records below `height` with its own
    /// file handle (the log is appended to, never rewritten, below the tip, but for erasure, which
    /// the owner does after the reader's answer).
    package func reader(below height: UInt64) -> BlockLogReader {
        let count = Int(min(height, lastHeight + 1).subtractingReportingOverflow(baseHeight + 1).partialValue)
        let n = max(0, min(count, offsets.count))
        return BlockLogReader(path: path, firstHeight: baseHeight + 1, offsets: Array(offsets.prefix(n + 1)),
                              end: n < offsets.count ? offsets[n] : end, count: n)
    }
}

/// Reads a prefix of a block log with its own file handle (see `BlockLog.reader(below:)`).
package struct BlockLogReader: Sendable {
    let path: String
    /// Height of the record at offset index 0.
    let firstHeight: UInt64
    let offsets: [Int]
    /// Where the last record read ends.
    let end: Int
    /// How many records to read.
    let count: Int

    /// The heights of the blocks holding a transaction that `wanted` picks and whose payload is
    /// still present, in order.
    package func heights(where wanted: (SignedTransaction) -> Bool) throws(BlockStoreError) -> [UInt64] {
        guard count > 0 else { return [] }
        let file = try StorageFile(path: path, create: false)
        defer { file.close() }
        var found: [UInt64] = []
        for i in 0..<count {
            let start = offsets[i], stop = i + 1 < offsets.count && i + 1 < count ? offsets[i + 1] : end
            let bytes = try file.read(offset: start, count: stop - start)
            let record: BlockRecord
            do { record = try BlockRecord.decode(payload: bytes[BlockRecord.prefixBytes...]) } catch {
                throw BlockStoreError(.corruptRecord, path: path, offset: start, height: firstHeight + UInt64(i), "the record does not decode (\(error))")
            }
            if record.block.transactions.contains(where: { $0.payloadBytes != nil && wanted($0) }) { found.append(firstHeight + UInt64(i)) }
        }
        return found
    }
}

