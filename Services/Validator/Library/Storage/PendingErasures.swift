import CityEncoding
import Glibc
import CityLedger

/// The erasures a validator still owes its block log (docs/STORAGE.md, "Erasure"): each
/// committed `eraseRecord` (dataset, subject, height) until the payloads of that record's
/// versions below the height are dropped from every block the log holds. Kept in
/// `<data>/erasures.pending` through a rename, written when an erasure commits and when one is
/// done, so a crash in between redoes the work at the next start (dropping is idempotent).
/// Format: `"CCERASQ1" | array<Item> | u32 checksum`.
package struct PendingErasures: Hashable, Sendable {
    /// One erasure owed.
    package struct Item: Hashable, Sendable, CanonicalCodable {
        package var dataset: DatasetID
        package var subject: SubjectKey
        /// Height of the `eraseRecord`: versions below it lose their payloads.
        package var height: UInt64

        package init(dataset: DatasetID, subject: SubjectKey, height: UInt64) {
            self.dataset = dataset
            self.subject = subject
            self.height = height
        }

        /// Whether `tx` writes a version of this record (below the erasure: a later write is new data).
        package func covers(_ tx: SignedTransaction) -> Bool {
            if case let .putRecord(d, s, _) = tx.body.operation { d == dataset && s == subject } else { false }
        }

        package func encode(to w: inout CanonicalWriter) { w.encode(dataset); w.encode(subject); w.u64(height) }

        package init(from r: inout CanonicalReader) throws(CodecError) {
            dataset = try DatasetID(from: &r)
            subject = try SubjectKey(from: &r)
            height = try r.u64("PendingErasures.height")
        }
    }

    /// In commit order.
    package var items: [Item] = []

    package init(items: [Item] = []) { self.items = items }

    static let magic = Array("CCERASQ1".utf8)
    /// More than any chain owes at once (each is one committed transaction).
    static let maxItems = 1 << 20

    package var bytes: [UInt8] {
        var w = CanonicalWriter(capacity: 64 * items.count + 16)
        w.fixed(Self.magic)
        w.array(items)
        w.u32(RecordChecksum.of([w.bytes]))
        return w.bytes
    }

    /// Reads the file at `path` (none: nothing owed).
    package static func load(_ path: String) throws(BlockStoreError) -> PendingErasures {
        guard let bytes = try AtomicFile.read(path) else { return PendingErasures() }
        func bad(_ why: String) -> BlockStoreError {
            BlockStoreError(.corruptRecord, path: path, "the list of pending erasures \(why); it is written through a rename, so the disk returned bad data: check the disk; removing the file forgets erasures not yet done (redo them by resyncing this validator from peers)")
        }
        guard bytes.count >= magic.count + 8, Array(bytes.prefix(magic.count)) == magic else { throw bad("does not start with CCERASQ1") }
        let body = Array(bytes.dropLast(4))
        guard RecordChecksum.of([body]) == bytes.suffix(4).reduce(UInt32(0), { $0 << 8 | UInt32($1) }) else { throw bad("fails its checksum") }
        var r = CanonicalReader(body[magic.count...])
        do {
            let items: [Item] = try r.array(max: maxItems, "PendingErasures.items")
            try r.finish("PendingErasures")
            return PendingErasures(items: items)
        } catch {
            throw bad("does not decode (\(error))")
        }
    }

    /// Writes the list to `path` (removes the file when empty).
    package func save(_ path: String) throws(BlockStoreError) {
        if items.isEmpty {
            guard (try AtomicFile.read(path)) != nil else { return }
            unlink(path)
            try AtomicFile.syncDirectory(of: path)
            return
        }
        try AtomicFile.write(bytes, to: path)
    }
}
