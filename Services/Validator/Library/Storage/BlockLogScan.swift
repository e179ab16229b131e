import CityEncoding
import CityLedger

/// The open-time scan of a block log (docs/STORAGE.md, "Recovery"). Pure: reads through
/// `LogBytes`, decides, and returns what the caller must do (index, truncate); no writes.
///
/// Rules: a record that is cut short or fails its checksum, with no valid record anywhere after
/// it, is a torn tail (an append that never reached fsync, so never acknowledged) and is cut.
/// A damaged record followed by a valid one, or a valid record that breaks the chain, is
/// corruption in the middle: the scan refuses.
package enum BlockLogScan {
    /// What a successful scan found.
    package struct Outcome: Sendable {
        /// The file header.
        package var header: BlockLogHeader
        /// Byte offset of the record of height `base + i + 1` at index `i`.
        package var recordOffsets: [Int]
        /// The verified end of the chain.
        package var tip: LogTip
        /// Length of the valid prefix of the file; the file must be truncated to it.
        package var validEnd: Int
        /// Bytes of torn tail past `validEnd` (0 for a clean log).
        package var tornBytes: Int
        /// The certified block below the first record: the prune mark's, else the header's.
        package var base: BlockLogBase?
    }

    /// Bytes of the payload that always hold a whole block header (chain id ≤ 64 bytes plus fixed fields).
    static let headerPrefixBytes = 512

    /// Scans `bytes`, the content of the log at `path`, expecting `chainID` and `genesisHash`;
    /// from `pruned`'s record offset, after its base, when the log was pruned (`PruneMark`).
    package static func scan(_ bytes: some LogBytes, path: String, chainID: String,
                             genesisHash: Hash32, pruned: PruneMark? = nil) throws(BlockStoreError) -> Outcome {
        let size = bytes.count
        let (header, headerEnd) = try BlockLogHeader.decode(
            try bytes.read(offset: 0, count: min(size, StorageLimits.maxLogHeaderBytes)), path: path)
        guard header.chainID == chainID, header.genesisHash == genesisHash else {
            throw BlockStoreError(.wrongChain, path: path, offset: 0,
                                  "the log is for chain \"\(header.chainID)\" with genesis \(header.genesisHash), this node runs \"\(chainID)\" with genesis \(genesisHash); point the validator at its own data directory")
        }
        var tip = LogTip(chainID: chainID, genesisHash: genesisHash, base: pruned?.base ?? header.base)
        var offsets: [Int] = []
        var offset = headerEnd
        if let pruned {
            guard pruned.recordOffset >= headerEnd, pruned.recordOffset <= size, pruned.base.header.chainID == chainID,
                  pruned.base.height >= (header.base?.height ?? 0) else {
                throw chainBreak(path, pruned.recordOffset, pruned.base.height + 1,
                                 "the prune mark names byte offset \(pruned.recordOffset) after block \(pruned.base.height), which this log (\(size) bytes, header \(headerEnd)) cannot hold")
            }
            offset = pruned.recordOffset
        }
        while offset < size {   // each pass consumes at least one record of ≥ 9 bytes, or stops
            guard let length = try intactRecordLength(bytes, at: offset) else {
                try refuseIfValidRecordFollows(bytes, damagedAt: offset, path: path, height: tip.lastHeight + 1)
                return Outcome(header: header, recordOffsets: offsets, tip: tip, validEnd: offset, tornBytes: size - offset, base: pruned?.base ?? header.base)
            }
            let prefix = try bytes.read(offset: offset + BlockRecord.prefixBytes, count: min(length, headerPrefixBytes))
            let blockHeader: BlockHeader
            do { blockHeader = try BlockRecord.decodeHeader(payload: prefix) } catch {
                throw chainBreak(path, offset, tip.lastHeight + 1, "the record's checksum is valid but its block header does not decode (\(error))")
            }
            if let why = tip.refusal(blockHeader) { throw chainBreak(path, offset, tip.lastHeight + 1, why) }
            tip.advance(to: blockHeader, hash: blockHeader.hash)
            offsets.append(offset)
            offset += BlockRecord.prefixBytes + length
        }
        return Outcome(header: header, recordOffsets: offsets, tip: tip, validEnd: offset, tornBytes: 0, base: pruned?.base ?? header.base)
    }

    /// The payload length of the record at `offset` if it is whole and its checksum matches; nil otherwise.
    static func intactRecordLength(_ bytes: some LogBytes, at offset: Int) throws(BlockStoreError) -> Int? {
        let remaining = bytes.count - offset
        guard remaining >= BlockRecord.prefixBytes else { return nil }
        let (length, checksum) = BlockRecord.parsePrefix(try bytes.read(offset: offset, count: BlockRecord.prefixBytes)[...])
        guard BlockRecord.isPlausible(length: length), length <= remaining - BlockRecord.prefixBytes else { return nil }
        let payload = try bytes.read(offset: offset + BlockRecord.prefixBytes, count: length)
        return BlockRecord.checksumMatches(length: length, checksum: checksum, payload: payload[...]) ? length : nil
    }

    /// Throws `.corruptRecord` if a valid record starts anywhere after the damaged one at
    /// `damagedAt`, or if more follows it than one unacknowledged batch could have written.
    static func refuseIfValidRecordFollows(_ bytes: some LogBytes, damagedAt: Int, path: String,
                                           height: UInt64) throws(BlockStoreError) {
        let tailBytes = bytes.count - damagedAt
        let action = "this is corruption in the middle of the log, not a torn write: stop, keep the file, and restore the data directory from a backup or resync it from peers (docs/STORAGE.md, \"Corruption in the middle\")"
        guard tailBytes <= StorageLimits.maxBatchBytes else {
            throw BlockStoreError(.corruptRecord, path: path, offset: damagedAt, height: height,
                                  "the record is damaged and \(tailBytes) bytes follow it, more than any unacknowledged append (\(StorageLimits.maxBatchBytes) bytes); \(action)")
        }
        let tail = try bytes.read(offset: damagedAt, count: tailBytes)
        if let next = firstValidRecord(in: tail, from: 1) {
            throw BlockStoreError(.corruptRecord, path: path, offset: damagedAt, height: height,
                                  "the record is damaged (cut short or failed its checksum) but a valid record follows at byte offset \(damagedAt + next); \(action)")
        }
    }

    /// The first index ≥ `start` in `tail` where a whole record with a matching checksum begins.
    /// Bounded by `tail.count` candidate offsets; only plausible lengths are hashed.
    static func firstValidRecord(in tail: [UInt8], from start: Int) -> Int? {
        var i = start
        while i + BlockRecord.prefixBytes < tail.count {
            let (length, checksum) = BlockRecord.parsePrefix(tail[i..<(i + BlockRecord.prefixBytes)])
            let end = i + BlockRecord.prefixBytes + length
            if BlockRecord.isPlausible(length: length), end <= tail.count,
               BlockRecord.checksumMatches(length: length, checksum: checksum, payload: tail[(i + BlockRecord.prefixBytes)..<end]) {
                return i
            }
            i += 1
        }
        return nil
    }

    static func chainBreak(_ path: String, _ offset: Int, _ height: UInt64, _ why: String) -> BlockStoreError {
        BlockStoreError(.chainBreak, path: path, offset: offset, height: height,
                        "\(why); the log does not form one chain, so it was not written by this software as is: stop, keep the file, and restore the data directory from a backup or resync it from peers (docs/STORAGE.md, \"Chain break\")")
    }
}
