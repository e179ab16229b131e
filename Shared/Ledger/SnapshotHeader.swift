import CityEncoding

/// A snapshot file's fixed 64-byte header (docs/STORAGE.md, "Snapshots"):
/// `"CCSNAP01" | u32 version | u64 height | Hash32 stateRoot | u64 bodyBytes | u32 checksum`,
/// the checksum (`RecordChecksum`) covering the 60 bytes before it. It has its own checksum so
/// recovery can read the height and root and refuse a snapshot that is not on the certified
/// chain without reading (and hashing) hundreds of megabytes of body. Pure: byte arrays only.
package struct SnapshotHeader: Hashable, Sendable {
    /// The 8 magic bytes every snapshot file starts with.
    package static let magic: [UInt8] = Array("CCSNAP01".utf8)
    /// The only format version this code reads and writes.
    package static let currentVersion: UInt32 = 1
    /// The header's size in bytes: magic, version, height, root, body length, checksum.
    package static let sizeBytes = 8 + 4 + 8 + 32 + 8 + 4

    /// The format version.
    package var version: UInt32
    /// Height of the last block applied to the snapshotted state.
    package var height: UInt64
    /// The state root at `height`; must equal the certified header's at that height.
    package var stateRoot: Hash32
    /// Length in bytes of the canonical `LedgerSnapshot` body that follows the header.
    package var bodyBytes: UInt64

    /// A header of the current version.
    package init(height: UInt64, stateRoot: Hash32, bodyBytes: UInt64) {
        version = Self.currentVersion
        self.height = height
        self.stateRoot = stateRoot
        self.bodyBytes = bodyBytes
    }

    /// The header's 64 bytes, checksum included.
    package var bytes: [UInt8] {
        var w = CanonicalWriter(capacity: Self.sizeBytes)
        w.fixed(Self.magic)
        w.u32(version)
        w.u64(height)
        w.encode(stateRoot)
        w.u64(bodyBytes)
        w.u32(RecordChecksum.of(w.bytes))
        return w.bytes
    }

    /// Decodes the header at the start of `bytes` (which may hold more). Throws `.badSnapshot`
    /// naming `path` for a short header, a wrong magic, version or checksum.
    package static func decode(_ bytes: [UInt8], path: String) throws(SnapshotFileError) -> SnapshotHeader {
        func bad(_ why: String) -> SnapshotFileError {
            SnapshotFileError(.badSnapshot, path: path, "\(why); the snapshot is not used")
        }
        guard bytes.count >= sizeBytes else { throw bad("the file is \(bytes.count) bytes, shorter than a \(sizeBytes)-byte header") }
        guard Array(bytes[0..<magic.count]) == magic else { throw bad("the file does not start with \"CCSNAP01\"") }
        guard RecordChecksum.of(bytes[0..<(sizeBytes - 4)]) == u32(bytes, at: sizeBytes - 4) else {
            throw bad("the header checksum does not match")
        }
        var r = CanonicalReader(bytes[magic.count..<(sizeBytes - 4)])
        do {
            let version = try r.u32("SnapshotHeader.version")
            guard version == currentVersion else { throw bad("format version \(version), this build reads \(currentVersion)") }
            var header = SnapshotHeader(height: try r.u64("SnapshotHeader.height"), stateRoot: try Hash32(from: &r),
                                        bodyBytes: try r.u64("SnapshotHeader.bodyBytes"))
            header.version = version
            return header
        } catch let e as SnapshotFileError {
            throw e
        } catch {
            throw bad("the header does not decode (\(error))")
        }
    }

    private static func u32(_ bytes: [UInt8], at i: Int) -> UInt32 {
        bytes[i..<(i + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }
}
