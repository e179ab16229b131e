import CityEncoding

/// A snapshot file's bytes (docs/STORAGE.md, "Snapshots"): the 64-byte `SnapshotHeader`, the
/// canonical `LedgerSnapshot` body, then the full 32-byte SHA-256 of header and body. Pure:
/// encodes and decodes byte arrays.
///
/// The digest is the whole SHA-256, not the 4-byte `RecordChecksum`: `RecordChecksum` is a
/// truncated SHA-256, so both cost one pass over the body, and keeping all 32 bytes costs 28
/// bytes per file. It guards against damage only; the state root (recomputed from the entries
/// at load and compared with a certified header) is what makes a snapshot trusted.
package enum SnapshotFile {
    /// Bytes of the trailing digest.
    package static let digestBytes = 32

    /// The file content for `snapshot`. Refuses (`.tooLarge`) content over
    /// `LedgerLimits.maxSnapshotFileBytes`, which `decode` would refuse to read back.
    package static func encode(_ snapshot: LedgerSnapshot) throws(SnapshotFileError) -> [UInt8] {
        var body = CanonicalWriter(capacity: 1 << 20)
        body.encode(snapshot)
        let total = SnapshotHeader.sizeBytes + body.bytes.count + digestBytes
        guard total <= LedgerLimits.maxSnapshotFileBytes else {
            throw SnapshotFileError(.tooLarge, height: snapshot.height,
                                  "a snapshot of \(total) bytes is over maxSnapshotBytes \(LedgerLimits.maxSnapshotFileBytes); raise the bound with the machine's memory (a snapshot is read whole at start)")
        }
        var out = SnapshotHeader(height: snapshot.height, stateRoot: snapshot.stateRoot, bodyBytes: UInt64(body.bytes.count)).bytes
        out.reserveCapacity(total)
        out += body.bytes
        out += Hash32.sha256(parts: [out]).bytes
        return out
    }

    /// The snapshot in `bytes`, the whole content of the file at `path`. Throws `.badSnapshot`
    /// for anything but a whole file of the current version whose digest matches and whose body
    /// decodes exactly to the height and root its header names.
    package static func decode(_ bytes: [UInt8], path: String) throws(SnapshotFileError) -> LedgerSnapshot {
        guard bytes.count >= digestBytes else { throw bad(path, "the file is \(bytes.count) bytes, shorter than its digest") }
        return try decode(content: Array(bytes.dropLast(digestBytes)), digest: Array(bytes.suffix(digestBytes)), path: path)
    }

    /// `decode` with the file split into `content` (header and body) and the trailing `digest`,
    /// so a large file is hashed where it was read, without copying it.
    package static func decode(content: [UInt8], digest: [UInt8], path: String) throws(SnapshotFileError) -> LedgerSnapshot {
        let header = try SnapshotHeader.decode(content, path: path)
        try checkLength(header, fileBytes: content.count + digest.count, path: path)
        guard Hash32.sha256(parts: [content]).bytes == digest else {
            throw bad(path, "the SHA-256 of header and body does not match the one stored at its end: the file is damaged")
        }
        let snapshot: LedgerSnapshot
        do {
            var r = CanonicalReader(content)
            _ = try r.fixed(SnapshotHeader.sizeBytes, "SnapshotFile.header")
            snapshot = try LedgerSnapshot(from: &r)
            try r.finish("SnapshotFile.body")
        } catch {
            throw bad(path, "the body does not decode exactly (\(error))")
        }
        guard snapshot.height == header.height, snapshot.stateRoot == header.stateRoot else {
            throw bad(path, "the body is for height \(snapshot.height) root \(snapshot.stateRoot), its header says height \(header.height) root \(header.stateRoot)")
        }
        return snapshot
    }

    /// Refuses a file whose size is not header + body + digest (a cut or extended file) or over the bound.
    package static func checkLength(_ header: SnapshotHeader, fileBytes: Int, path: String) throws(SnapshotFileError) {
        guard fileBytes <= LedgerLimits.maxSnapshotFileBytes else {
            throw bad(path, "the file is \(fileBytes) bytes, over maxSnapshotBytes \(LedgerLimits.maxSnapshotFileBytes)")
        }
        let expected = UInt64(SnapshotHeader.sizeBytes + digestBytes).addingReportingOverflow(header.bodyBytes)
        guard !expected.overflow, expected.partialValue == UInt64(fileBytes) else {
            throw bad(path, "the file is \(fileBytes) bytes but its header announces a \(header.bodyBytes)-byte body (\(SnapshotHeader.sizeBytes + digestBytes) bytes of header and digest around it): it is cut short or was extended")
        }
    }

    private static func bad(_ path: String, _ why: String) -> SnapshotFileError {
        SnapshotFileError(.badSnapshot, path: path, "\(why); the snapshot is not used")
    }
}
