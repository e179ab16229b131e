import CityEncoding
import CityMerkle

extension LedgerState {
    /// The state as a `LedgerSnapshot`: entries in ascending key order and replay ids sorted, so
    /// equal states give equal snapshots. Not in the middle of a block.
    package func snapshot() -> LedgerSnapshot {
        precondition(staged.isEmpty, "snapshot taken in the middle of a block")
        let entries = tree.entries().map { LedgerSnapshot.Entry(key: $0.key, value: $0.value) }
        let replayIDs = replayByExpiry.values.flatMap { $0 }.sorted()
        return LedgerSnapshot(height: height, stateRoot: tree.root, entries: entries, replayIDs: replayIDs)
    }

    /// Rebuilds a state from `snapshot`: the tree, the chain id and genesis hash (from the chain
    /// meta entry), and the replay set's expiry index. Throws `.invalidSnapshot` when the entries
    /// do not hash to `snapshot.stateRoot`, the chain meta height differs from `snapshot.height`,
    /// a required entry is missing or does not decode, or the replay ids and the tree's replay
    /// entries differ. Compare `snapshot.stateRoot` with a certified header before calling this.
    package init(snapshot: LedgerSnapshot) throws(LedgerError) {
        var tree = StateTree()
        tree.apply(snapshot.entries.map { (key: $0.key, value: Optional($0.value)) })
        guard tree.count == snapshot.entries.count, tree.root == snapshot.stateRoot else {
            throw Self.invalid("the entries hash to \(tree.root) but the snapshot records \(snapshot.stateRoot)")
        }
        let meta: ChainMetaEntry = try Self.required(.chainMeta, in: tree)
        guard meta.height == snapshot.height else {
            throw Self.invalid("the chain meta entry says height \(meta.height) but the snapshot says \(snapshot.height)")
        }
        let _: AdminSetEntry = try Self.required(.adminSet, in: tree)
        let _: ValidatorSet = try Self.required(.validatorSet, in: tree)
        let _: PendingList = try Self.required(.pendingValidatorChanges, in: tree)
        self.init(chainID: meta.chainID, genesisHash: meta.genesisHash, height: meta.height, tree: tree)
        try rebuildReplayIndex(snapshot.replayIDs)
    }

    /// Fills `replayByExpiry` and `prunedBelow` from the listed ids, checking that each has a
    /// replay entry and that no other replay entry exists.
    private mutating func rebuildReplayIndex(_ ids: [TransactionID]) throws(LedgerError) {
        var replayKeys = Set<Hash32>()
        var lowest = height
        for id in ids {
            let key = StateKey.replay(id).treeKey
            guard let expiry = Self.u64Value(tree.value(for: key)) else {
                throw Self.invalid("replay id \(id) has no replay entry (a u64 expiry) in the tree")
            }
            replayByExpiry[expiry, default: []].append(id)
            replayKeys.insert(key)
            lowest = min(lowest, expiry)
        }
        prunedBelow = lowest
        try checkEveryReplayEntryListed(replayKeys)
    }

    /// Replay entries and audit heads are the only u64 (8-byte) values in the state (see the
    /// state table in docs/protocol/ledger.md); audit heads belong to registered agencies. So an
    /// 8-byte entry that is neither is a replay entry the snapshot failed to list, which would
    /// never be pruned.
    private func checkEveryReplayEntryListed(_ replayKeys: Set<Hash32>) throws(LedgerError) {
        var auditHeads = Set<Hash32>()
        for e in tree.entries() {
            if let a = try? AgencyEntry(canonicalBytes: e.value), StateKey.agency(a.id).treeKey == e.key {
                auditHeads.insert(StateKey.auditHead(a.id).treeKey)
            }
        }
        for e in tree.entries() where e.value.count == 8 && !replayKeys.contains(e.key) && !auditHeads.contains(e.key) {
            throw Self.invalid("entry \(e.key) looks like a replay entry but its transaction id is not in replayIDs")
        }
    }

    /// The pending validator changes entry's shape, to check that it decodes.
    private struct PendingList: CanonicalDecodable {
        init(from r: inout CanonicalReader) throws(CodecError) {
            let _: [PendingValidatorChange] = try r.array(max: Int(UInt32.max), "pendingValidatorChanges")
        }
    }

    private static func required<T: CanonicalDecodable>(_ key: StateKey, in tree: StateTree) throws(LedgerError) -> T {
        guard let bytes = tree.value(for: key.treeKey) else { throw invalid("the \(key) entry is missing") }
        do { return try T(canonicalBytes: bytes) } catch { throw invalid("the \(key) entry does not decode: \(error.detail)") }
    }

    private static func u64Value(_ bytes: [UInt8]?) -> UInt64? {
        guard let bytes, bytes.count == 8 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    private static func invalid(_ what: String) -> LedgerError {
        LedgerError(.invalidSnapshot, "\(what); the snapshot is corrupt or incomplete, fetch it again from another validator")
    }
}
