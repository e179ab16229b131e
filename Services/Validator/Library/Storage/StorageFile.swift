import Glibc

/// An open file descriptor with the few system calls storage needs: positioned reads and
/// writes, fdatasync, ftruncate and an exclusive flock. The IO edge; all format logic is elsewhere.
package final class StorageFile {
    /// The file's path, for error messages.
    package let path: String
    private var fd: Int32

    /// Opens `path` read-write, creating it (mode 0600) when `create` is set.
    package init(path: String, create: Bool) throws(BlockStoreError) {
        self.path = path
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        let fd = Glibc.open(path, flags, 0o600)
        guard fd >= 0 else { throw Self.ioError("open", path) }
        self.fd = fd
    }

    deinit { close() }

    /// Closes the descriptor (releasing its lock); further calls fail with `.closed`.
    package func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    /// Takes an exclusive, non-blocking flock; throws `.locked` if another process holds it.
    package func lockExclusive() throws(BlockStoreError) {
        try checkOpen()
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            if errno == EWOULDBLOCK {
                throw BlockStoreError(.locked, path: path,
                                      "another process (or another open in this one) holds the file; run one validator per data directory and stop the other before starting this one")
            }
            throw Self.ioError("flock", path)
        }
    }

    /// The file size in bytes.
    package func size() throws(BlockStoreError) -> Int {
        try checkOpen()
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Self.ioError("fstat", path) }
        return Int(st.st_size)
    }

    /// Reads exactly `count` bytes at `offset`.
    package func read(offset: Int, count: Int) throws(BlockStoreError) -> [UInt8] {
        try checkOpen()
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {   // bounded: each pass reads ≥ 1 byte or throws
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw n == 0 ? BlockStoreError(.io, path: path, offset: offset + done, "unexpected end of file; the file shrank while open") : Self.ioError("pread", path) }
            done += n
        }
        return out
    }

    /// Writes all of `bytes` at `offset` (not durable until `sync`).
    package func write(_ bytes: [UInt8], at offset: Int) throws(BlockStoreError) {
        try checkOpen()
        var done = 0
        while done < bytes.count {   // bounded: each pass writes ≥ 1 byte or throws
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Self.ioError("pwrite", path) }
            done += n
        }
    }

    /// fdatasync: the data and the size are on disk when it returns.
    package func sync() throws(BlockStoreError) {
        try checkOpen()
        guard fdatasync(fd) == 0 else { throw Self.ioError("fdatasync", path) }
    }

    /// Cuts the file to `length` bytes and syncs.
    package func truncate(to length: Int) throws(BlockStoreError) {
        try checkOpen()
        guard ftruncate(fd, off_t(length)) == 0 else { throw Self.ioError("ftruncate", path) }
        try sync()
    }

    /// Frees the disk blocks of `length` bytes at `offset` (they read as zeros after), keeping the
    /// file's size: fallocate(PUNCH_HOLE | KEEP_SIZE). Throws `.io` where the filesystem cannot.
    package func punchHole(offset: Int, length: Int) throws(BlockStoreError) {
        try checkOpen()
        guard length > 0 else { return }
        let punchHoleKeepSize: Int32 = 0x02 | 0x01   // FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE (linux/falloc.h)
        guard let fallocate = Self.fallocate else {
            throw BlockStoreError(.io, path: path, "fallocate is not available from this C library; the blocks were not freed")
        }
        guard fallocate(fd, punchHoleKeepSize, off_t(offset), off_t(length)) == 0 else { throw Self.ioError("fallocate(PUNCH_HOLE)", path) }
    }

    /// glibc's fallocate(2) wrapper: Swift's Glibc module does not declare it (it needs _GNU_SOURCE),
    /// so it is looked up once by name.
    private static let fallocate: (@convention(c) (Int32, Int32, off_t, off_t) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "fallocate") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32, off_t, off_t) -> Int32).self)
    }()

    /// Bytes the file takes on disk (its allocated blocks), which holes do not count.
    package func allocatedBytes() throws(BlockStoreError) -> Int {
        try checkOpen()
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Self.ioError("fstat", path) }
        return Int(st.st_blocks) * 512
    }

    private func checkOpen() throws(BlockStoreError) {
        guard fd >= 0 else { throw BlockStoreError(.closed, path: path, "the file was closed; open it again") }
    }

    /// An `.io` error carrying errno's text.
    static func ioError(_ call: String, _ path: String) -> BlockStoreError {
        let text = String(cString: strerror(errno))
        return BlockStoreError(.io, path: path, "\(call) failed: \(text); check the disk, free space and permissions of the data directory")
    }
}

/// A `StorageFile` of known size as `LogBytes`, for the open-time scan.
struct StorageFileBytes: LogBytes {
    let file: StorageFile
    let count: Int

    func read(offset: Int, count: Int) throws(BlockStoreError) -> [UInt8] {
        try file.read(offset: offset, count: count)
    }
}
