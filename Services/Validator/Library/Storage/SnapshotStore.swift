import CityEncoding
import CityLedger
import Glibc
import Logging

/// The validator's ledger snapshots (docs/STORAGE.md, "Snapshots"): one `SnapshotFile` per
/// snapshotted height, `<directory>/state-<height, 20 digits>.snap`, each written atomically like
/// the signer state (temp file, fdatasync, rename, directory fsync); only the newest `keep` stay.
///
/// Loading never trusts what it cannot check: a file that is cut short, damaged, misnamed or
/// refused by the caller (not on the certified chain) is skipped with a warning and the next
/// older one is tried. Synchronous and not thread-safe: one owner (an actor) calls it off the
/// commit path, since a write encodes and syncs the whole state. It takes no lock of its own:
/// it lives in the data directory whose block log holds the process's exclusive lock.
package final class SnapshotStore {
    /// The directory holding the snapshot files.
    package let directory: String
    /// How many of the newest snapshots a write leaves on disk.
    package let keep: Int
    /// Heights of the snapshot files present, ascending (by file name; contents are checked on load).
    package private(set) var heights: [UInt64]
    private let logger: Logger

    private init(directory: String, keep: Int, heights: [UInt64], logger: Logger) {
        self.directory = directory
        self.keep = keep
        self.heights = heights
        self.logger = logger
    }

    /// Opens the snapshot directory, creating it if missing, and lists its snapshots. `keep` is
    /// 1...`StorageLimits.maxSnapshotsKept`; keep at least 2 so a damaged newest file leaves one to fall back on.
    package static func open(directory: String, keep: Int = StorageLimits.defaultSnapshotsKept,
                             logger: Logger = Logger(label: "citychain.snapshots")) throws(BlockStoreError) -> SnapshotStore {
        precondition((1...StorageLimits.maxSnapshotsKept).contains(keep),
                     "keep \(keep) snapshots is outside 1...maxSnapshotsKept \(StorageLimits.maxSnapshotsKept)")
        if mkdir(directory, 0o700) == 0 {
            // The new directory's own entry must survive a crash, or the first snapshot could vanish with it.
            try AtomicFile.syncDirectory(of: directory)
        } else if errno != EEXIST {
            throw StorageFile.ioError("mkdir", directory)
        }
        let heights = try fileNames(in: directory).compactMap(height(fromFileName:)).sorted()
        return SnapshotStore(directory: directory, keep: keep, heights: heights, logger: logger)
    }

    /// The file name of the snapshot at `height`: `state-` + 20 decimal digits + `.snap`, so names sort by height.
    package static func fileName(forHeight height: UInt64) -> String {
        let digits = String(height)
        return "state-" + String(repeating: "0", count: 20 - digits.count) + digits + ".snap"
    }

    /// The height a snapshot file name stands for, or nil if `name` is not one (a `.tmp`, anything else).
    package static func height(fromFileName name: String) -> UInt64? {
        guard name.hasPrefix("state-"), name.hasSuffix(".snap") else { return nil }
        let digits = name.dropFirst("state-".count).dropLast(".snap".count)
        guard digits.count == 20, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(digits)
    }

    /// The path of the snapshot file at `height`.
    package func path(forHeight height: UInt64) -> String { directory + "/" + Self.fileName(forHeight: height) }

    /// Writes `snapshot` (height ≥ 1) atomically, replacing a file of the same height, then deletes
    /// all but the newest `keep` snapshots and any leftover temporary file. Returns once the file
    /// and its directory entry are synced; on a throw the previous snapshots are untouched.
    package func write(_ snapshot: LedgerSnapshot) throws(BlockStoreError) {
        try write(snapshot, crash: nil)
    }

    /// `write` with a simulated crash inside the atomic write (tests only): stops there, no pruning.
    func write(_ snapshot: LedgerSnapshot, crash: AtomicFile.CrashPoint?) throws(BlockStoreError) {
        precondition(snapshot.height >= 1, "a snapshot at height 0 is the genesis state: rebuild it from the genesis file")
        let path = path(forHeight: snapshot.height)
        let bytes: [UInt8]
        do { bytes = try SnapshotFile.encode(snapshot) } catch { throw BlockStoreError(error) }
        try AtomicFile.write(bytes, to: path, crash: crash)
        if crash != nil { return }
        if !heights.contains(snapshot.height) { heights = (heights + [snapshot.height]).sorted() }
        prune()
    }

    /// The newest snapshot at or below `height` that is whole, undamaged and not refused:
    /// `refusal(header)` returns why a snapshot must not be used (it names a state root the
    /// certified chain does not have at that height) or nil to accept it. Each file skipped is
    /// logged as a warning with the reason. Nil when none qualifies: replay from genesis.
    package func newest(atOrBelow height: UInt64,
                        refusal: (SnapshotHeader) -> String? = { _ in nil }) -> LedgerSnapshot? {
        for h in heights.reversed() where h <= height {   // bounded by the files listed
            do {
                return try load(height: h, refusal: refusal)
            } catch {
                logger.warning("snapshot not used, trying an older one or genesis", metadata: [
                    "storage.path": "\(path(forHeight: h))", "chain.height": "\(h)", "storage.reason": "\(error.detail)",
                ])
            }
        }
        return nil
    }

    /// Reads and checks the snapshot at `height`: the header first (cheap), so a refused or
    /// mis-sized file is skipped before its body is read and hashed.
    func load(height: UInt64, refusal: (SnapshotHeader) -> String?) throws(BlockStoreError) -> LedgerSnapshot {
        let path = path(forHeight: height)
        let file = try StorageFile(path: path, create: false)
        defer { file.close() }
        let size = try file.size()
        let headerBytes = try file.read(offset: 0, count: min(size, SnapshotHeader.sizeBytes))
        let header: SnapshotHeader
        do { header = try SnapshotHeader.decode(headerBytes, path: path) } catch { throw BlockStoreError(error) }
        guard header.height == height else {
            throw BlockStoreError(.badSnapshot, path: path, height: height,
                                  "the file is named for height \(height) but its header says \(header.height); the snapshot is not used")
        }
        do { try SnapshotFile.checkLength(header, fileBytes: size, path: path) } catch { throw BlockStoreError(error) }
        if let why = refusal(header) {
            throw BlockStoreError(.badSnapshot, path: path, height: height, "\(why); the snapshot is not used")
        }
        let contentBytes = size - SnapshotFile.digestBytes   // checkLength: size ≥ header + digest
        let content = try file.read(offset: 0, count: contentBytes)
        let digest = try file.read(offset: contentBytes, count: SnapshotFile.digestBytes)
        do { return try SnapshotFile.decode(content: content, digest: digest, path: path) } catch { throw BlockStoreError(error) }
    }

    /// Deletes snapshots older than the newest `keep` and leftover temporary files (writes that
    /// never reached their rename). A failed delete only costs disk space: it is logged, not thrown,
    /// because the snapshot just written is already durable.
    private func prune() {
        let kept = Set(heights.suffix(keep))
        let names: [String]
        do { names = try Self.fileNames(in: directory) } catch {
            logger.warning("could not list snapshots to prune", metadata: ["storage.path": "\(directory)", "storage.reason": "\(error.detail)"])
            return
        }
        for name in names {
            let isTemp = name.hasPrefix("state-") && name.hasSuffix(".snap.tmp")
            guard isTemp || Self.height(fromFileName: name).map({ !kept.contains($0) }) == true else { continue }
            let path = directory + "/" + name
            if unlink(path) != 0 {
                logger.warning("could not delete an old snapshot; delete it by hand to free the space", metadata: [
                    "storage.path": "\(path)", "storage.reason": "\(String(cString: strerror(errno)))",
                ])
            }
        }
        heights = heights.filter(kept.contains)
    }

    /// The names in `directory` (without "." and ".."); bounded by the directory's entries.
    static func fileNames(in directory: String) throws(BlockStoreError) -> [String] {
        guard let dir = opendir(directory) else { throw StorageFile.ioError("opendir", directory) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }
}
