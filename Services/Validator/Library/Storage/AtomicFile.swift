import Glibc

/// Replaces a file atomically (docs/STORAGE.md, "Signer state", "Snapshots"): write `<name>.tmp`,
/// fsync it, rename it over `<name>`, fsync the directory. A crash at any point leaves either
/// the old or the new content under `<name>`, never a mix.
package enum AtomicFile {
    /// Where a simulated crash stops `write` (tests only): the steps after it never run.
    package enum CrashPoint: Sendable, CaseIterable {
        /// Half of the temporary file written, nothing synced.
        case midTempWrite
        /// Temporary file written and synced, not renamed.
        case beforeRename
        /// Renamed, directory not yet synced.
        case beforeDirectorySync
    }

    /// Atomically replaces `path` with `bytes`. `crash` stops early to simulate a kill (tests only).
    package static func write(_ bytes: [UInt8], to path: String, crash: CrashPoint? = nil) throws(BlockStoreError) {
        let temp = path + ".tmp"
        let file = try StorageFile(path: temp, create: true)
        defer { file.close() }
        try file.truncate(to: 0)
        if crash == .midTempWrite {
            try file.write(Array(bytes.prefix(bytes.count / 2)), at: 0)
            return
        }
        try file.write(bytes, at: 0)
        try file.sync()
        if crash == .beforeRename { return }
        guard rename(temp, path) == 0 else { throw StorageFile.ioError("rename", path) }
        if crash == .beforeDirectorySync { return }
        try syncDirectory(of: path)
    }

    /// The content of `path`, or nil if it does not exist. A leftover `<name>.tmp` is ignored:
    /// it is a write that never reached its rename.
    package static func read(_ path: String) throws(BlockStoreError) -> [UInt8]? {
        guard access(path, F_OK) == 0 else { return nil }
        let file = try StorageFile(path: path, create: false)
        defer { file.close() }
        return try file.read(offset: 0, count: try file.size())
    }

    /// fsyncs the directory holding `path`, so a rename or a newly created file survives a crash.
    package static func syncDirectory(of path: String) throws(BlockStoreError) {
        let dir = directory(of: path)
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageFile.ioError("open directory", dir) }
        defer { _ = close(fd) }
        guard fsync(fd) == 0 else { throw StorageFile.ioError("fsync directory", dir) }
    }

    /// The directory part of `path` ("." for a bare name).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

}
