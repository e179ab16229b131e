/// One fdatasync of a storage file, begun by its owner (the block log or the sign record, on the
/// validator's actor) and run off it, so the actor never blocks on the disk. It opens its own
/// descriptor: fdatasync covers the file, whichever descriptor asks.
package struct FileSync: Sendable {
    /// The file to sync.
    let path: String
    /// What the sync makes durable once it returns: the newest sequence (sign record) or height (block log).
    package let upTo: UInt64
    /// Whether the directory entry must be synced too (the file is new).
    let directory: Bool

    /// fdatasync (and the directory's fsync when the file is new); blocks on the disk.
    package func run() throws(BlockStoreError) {
        let file = try StorageFile(path: path, create: false)
        defer { file.close() }
        try file.sync()
        if directory { try AtomicFile.syncDirectory(of: path) }
    }
}
