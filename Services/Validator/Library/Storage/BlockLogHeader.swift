import CityEncoding
import CityLedger

/// The block log's file header (docs/STORAGE.md, "Block log"):
/// `"CCBLOCK1" | u32 formatVersion | genesisHash (32) | u32 len + chainID | u32 checksum`,
/// the checksum covering every byte before it. Pure: encodes and decodes byte arrays.
package struct BlockLogHeader: Hashable, Sendable {
    /// The 8 magic bytes every block log starts with.
    package static let magic: [UInt8] = Array("CCBLOCK1".utf8)
    /// The only format version this code reads and writes.
    package static let currentVersion: UInt32 = 1

    /// The format version.
    package var version: UInt32
    /// The chain whose blocks the log holds.
    package var chainID: String
    /// Hash of the genesis: block 1's `previousHash`.
    package var genesisHash: Hash32

    /// A header of the current version.
    package init(chainID: String, genesisHash: Hash32) {
        version = Self.currentVersion
        self.chainID = chainID
        self.genesisHash = genesisHash
    }

    /// The header's bytes, checksum included.
    package var bytes: [UInt8] {
        var w = CanonicalWriter(capacity: StorageLimits.maxLogHeaderBytes)
        w.fixed(Self.magic)
        w.u32(version)
        w.encode(genesisHash)
        w.string(chainID)
        w.u32(RecordChecksum.of(w.bytes))
        return w.bytes
    }

    /// Decodes the header at the start of `bytes` (which may hold more); returns it and its length.
    /// Throws `.badHeader` naming `path` for a wrong magic, version, checksum or a cut header.
    package static func decode(_ bytes: [UInt8], path: String) throws(BlockStoreError) -> (BlockLogHeader, Int) {
        func bad(_ why: String) -> BlockStoreError {
            BlockStoreError(.badHeader, path: path, offset: 0,
                            "\(why); this is not a block log this version can read, or its header is damaged: restore the file from a backup or move it aside and resync from peers")
        }
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else { throw bad("the file does not start with \"CCBLOCK1\"") }
        var r = CanonicalReader(bytes)
        do {
            _ = try r.fixed(magic.count, "BlockLogHeader.magic")
            let version = try r.u32("BlockLogHeader.version")
            guard version == currentVersion else { throw bad("format version \(version), this build reads \(currentVersion)") }
            let genesisHash = try Hash32(from: &r)
            let chainID = try r.string(max: LedgerLimits.maxChainIDBytes, "BlockLogHeader.chainID")
            let end = r.offset
            let stored = try r.u32("BlockLogHeader.checksum")
            guard stored == RecordChecksum.of(bytes[0..<end]) else { throw bad("header checksum does not match") }
            var header = BlockLogHeader(chainID: chainID, genesisHash: genesisHash)
            header.version = version
            return (header, r.offset)
        } catch let e as CodecError {
            throw bad("header is cut short or malformed (\(e))")
        } catch let e as BlockStoreError {
            throw e
        } catch {
            throw bad("\(error)")
        }
    }
}
