import CityEncoding

/// Everything needed to rebuild a `LedgerState` without replaying blocks: the height, the state
/// root, every state-tree entry, and the replay set's transaction ids (the tree stores only
/// their hashed keys, and pruning needs the ids).
///
/// Encoding (docs/protocol/ledger.md, "Snapshots"): u64 height, Hash32 stateRoot,
/// array<Entry> (strictly increasing keys), array<TransactionID> replayIDs (strictly increasing).
/// `LedgerState(snapshot:)` checks the root; compare `stateRoot` with a certified header's
/// before trusting a snapshot from a peer.
@MemberwiseInit
package struct LedgerSnapshot: Hashable, Sendable, CanonicalCodable {
    /// One state-tree entry: the 32-byte tree key and the stored value.
    package struct Entry: Hashable, Sendable, CanonicalCodable {
        /// The tree key (`StateKey.treeKey`).
        package var key: Hash32
        /// The entry's canonical bytes.
        package var value: [UInt8]

        /// An entry from its parts.
        package init(key: Hash32, value: [UInt8]) {
            self.key = key
            self.value = value
        }

        package func encode(to w: inout CanonicalWriter) { w.encode(key); w.bytes(value) }

        package init(from r: inout CanonicalReader) throws(CodecError) {
            key = try r.decode()
            value = try r.bytes(max: LedgerLimits.maxStateValueBytes, "LedgerSnapshot.Entry.value")
        }
    }

    /// Last applied block height.
    package var height: UInt64
    /// Root of the state tree holding `entries`.
    package var stateRoot: Hash32
    /// Every entry, in ascending key order.
    package var entries: [Entry]
    /// Ids in the replay set (unexpired committed transactions), ascending.
    package var replayIDs: [TransactionID]

    package func encode(to w: inout CanonicalWriter) {
        w.u64(height)
        w.encode(stateRoot)
        w.array(entries)
        w.array(replayIDs)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        height = try r.u64("LedgerSnapshot.height")
        stateRoot = try r.decode()
        entries = try r.array(max: LedgerLimits.maxSnapshotEntries, "LedgerSnapshot.entries")
        try Self.checkIncreasing(entries.map(\.key), "LedgerSnapshot.entries")
        replayIDs = try r.array(max: LedgerLimits.maxSnapshotEntries, "LedgerSnapshot.replayIDs")
        try Self.checkIncreasing(replayIDs, "LedgerSnapshot.replayIDs")
    }

    private static func checkIncreasing<T: Comparable>(_ items: [T], _ field: String) throws(CodecError) {
        for i in items.indices.dropFirst() where !(items[i - 1] < items[i]) {
            throw CodecError(.nonCanonical, field: field, "item \(i) is not greater than item \(i - 1); sort ascending, no duplicates")
        }
    }
}
