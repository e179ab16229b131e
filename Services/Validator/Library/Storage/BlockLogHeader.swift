import CityEncoding
import CityLedger

/// Where a log that does not start at height 1 starts: the certified header of the block just
/// below its first record (a log made by state sync, or pruned). Its hash is the first record's
/// parent; its state root is what the snapshot at its height must hash to.
package struct BlockLogBase: Hashable, Sendable {
    /// The header of the block at the base height.
    package var header: BlockHeader
    /// Its commit certificate.
    package var certificate: CommitCertificate
    /// The base height: the log's records start at `height + 1`.
    package var height: UInt64 { header.height }

    package init(header: BlockHeader, certificate: CommitCertificate) {
        self.header = header
        self.certificate = certificate
    }
}

/// The block log's file header (docs/STORAGE.md, "Block log"):
/// version 1: `"CCBLOCK1" | u32 1 | genesisHash (32) | u32 len + chainID | u32 checksum`;
/// version 2 (a log with a base, from state sync or pruning): `"CCBLOCK1" | u32 2 | genesisHash |
/// u32 len + chainID | BlockHeader (canonical) | CommitCertificate (canonical) | u32 checksum`;
/// the checksum covering every byte before it. A log without a base is still written as version
/// 1. Pure: encodes and decodes byte arrays.
package struct BlockLogHeader: Hashable, Sendable {
    /// The 8 magic bytes every block log starts with.
    package static let magic: [UInt8] = Array("CCBLOCK1".utf8)
    /// The format version of a log that starts at height 1.
    package static let currentVersion: UInt32 = 1
    /// The format version of a log with a base.
    package static let baseVersion: UInt32 = 2

    /// The format version.
    package var version: UInt32
    /// The chain whose blocks the log holds.
    package var chainID: String
    /// Hash of the genesis: block 1's `previousHash`.
    package var genesisHash: Hash32
    /// The certified block below the first record (nil: the log starts at height 1).
    package var base: BlockLogBase?

    /// A header of version 1, or 2 when `base` is given.
    package init(chainID: String, genesisHash: Hash32, base: BlockLogBase? = nil) {
        version = base == nil ? Self.currentVersion : Self.baseVersion
        self.chainID = chainID
        self.genesisHash = genesisHash
        self.base = base
    }

    /// The header's bytes, checksum included.
    package var bytes: [UInt8] {
        var w = CanonicalWriter(capacity: 256)
        w.fixed(Self.magic)
        w.u32(version)
        w.encode(genesisHash)
        w.string(chainID)
        if let base {
            w.encode(base.header)
            w.encode(base.certificate)
        }
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
            guard version == currentVersion || version == baseVersion else {
                throw bad("format version \(version), this build reads \(currentVersion) and \(baseVersion)")
            }
            let genesisHash = try Hash32(from: &r)
            let chainID = try r.string(max: LedgerLimits.maxChainIDBytes, "BlockLogHeader.chainID")
            var base: BlockLogBase?
            if version == baseVersion {
                base = BlockLogBase(header: try r.decode(BlockHeader.self), certificate: try r.decode(CommitCertificate.self))
            }
            let end = r.offset
            let stored = try r.u32("BlockLogHeader.checksum")
            guard stored == RecordChecksum.of(bytes[0..<end]) else { throw bad("header checksum does not match") }
            if let base {
                guard base.height >= 1, base.header.chainID == chainID else { throw bad("the base block is at height 0 or of another chain") }
                if let why = LogTip.certificateRefusal(base.certificate, for: base.header, hash: base.header.hash) {
                    throw bad("the base block's certificate does not match it (\(why))")
                }
            }
            var header = BlockLogHeader(chainID: chainID, genesisHash: genesisHash, base: base)
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
