import CityEncoding
import CityMerkle

/// The ledger's state: agencies, datasets, records, grants, admins, validators, replay set and
/// audit anchors, every entry stored in one `StateTree` so `stateRoot` commits to all of it.
/// A value type with no IO, no clock and no randomness: equal inputs give equal roots.
package struct LedgerState: Sendable {
    /// The chain this state belongs to.
    package let chainID: String
    /// Hash of the genesis it started from (block 1's `previousHash`).
    package let genesisHash: Hash32
    /// Last applied block height (0 = genesis).
    package internal(set) var height: UInt64
    /// The authenticated map of every entry.
    package private(set) var tree: StateTree
    /// Writes of the transaction or block in progress, flushed into `tree` once at its end.
    var staged: [Hash32: [UInt8]?] = [:]
    /// Replay-set index by expiry height, so pruning touches only what expires (the entries are in `tree`).
    var replayByExpiry: [UInt64: [TransactionID]] = [:]
    /// Every expiry below this has been pruned.
    var prunedBelow: UInt64 = 0
    /// Datasets and agencies decoded once per stored value (`DecodedEntries`).
    let decoded = DecodedEntries()
    /// True for a `readView`: it answers and proves but applies nothing (it has no replay index).
    private(set) var isReadView = false

    /// The initial state of `genesis`; throws `.invalidGenesis` if it breaks a rule.
    package init(genesis: Genesis) throws(LedgerError) {
        try genesis.validate()
        chainID = genesis.chainID
        genesisHash = genesis.hash
        height = 0
        tree = StateTree()
        let validators: ValidatorSet
        do { validators = try ValidatorSet(genesis.validators) } catch { throw LedgerError(.invalidGenesis, error.detail) }
        put(.chainMeta, ChainMetaEntry(chainID: chainID, height: 0, genesisHash: genesisHash))
        put(.validatorSet, validators)
        putPending([])
        put(.adminSet, AdminSetEntry(admins: genesis.agencies.filter(\.isAdmin).map(\.id), threshold: genesis.adminThreshold))
        for a in genesis.agencies {
            put(.agency(a.id), AgencyEntry(id: a.id, name: a.name, isAdmin: a.isAdmin,
                                           keys: a.keys.map { AgencyKeyState(key: $0, addedAtHeight: 0) }))
        }
        for d in genesis.datasets {
            put(.dataset(d.id), DatasetEntry(id: d.id, owner: d.owner, sensitivity: d.sensitivity, schema: d.schema,
                                             writers: d.writers, createdAtHeight: 0))
        }
        flush()
    }

    /// A state from a checked tree (`LedgerState(snapshot:)`); the indexes start empty.
    init(chainID: String, genesisHash: Hash32, height: UInt64, tree: StateTree) {
        self.chainID = chainID
        self.genesisHash = genesisHash
        self.height = height
        self.tree = tree
    }

    /// A copy for reading (lookups, proofs, `canRead`) that shares the tree, O(1), and leaves the
    /// replay index behind, so that applying more blocks to this state copies nothing. It applies
    /// nothing itself.
    package var readView: LedgerState {
        precondition(staged.isEmpty, "read view taken in the middle of a block")
        var view = self
        view.replayByExpiry = [:]
        view.staged = [:]
        view.isReadView = true
        return view
    }

    /// Root of the state tree after the last applied transaction or block.
    package var stateRoot: Hash32 {
        precondition(staged.isEmpty, "state root read in the middle of a block")
        return tree.root
    }

    // MARK: - Entry access (staged writes first, then the tree)

    /// The raw bytes stored under `key`, if any.
    package func raw(_ key: StateKey) -> [UInt8]? {
        let k = key.treeKey
        if let s = staged[k] { return s }
        return tree.value(for: k)
    }

    /// The entry under `key` decoded as `T`, from `decoded` when these bytes were decoded before (for
    /// the entries read on every transaction: datasets, agencies).
    /// The tree is read once per tree version for each such key (`DecodedEntries.stored`).
    func cachedEntry<T: CanonicalDecodable & Sendable>(_ key: StateKey, as _: T.Type = T.self) -> T? {
        let bytes: [UInt8]?
        if !staged.isEmpty, let s = staged[key.treeKey] { bytes = s } else { bytes = decoded.stored(key, in: tree) }
        guard let bytes else { return nil }
        do { return try decoded.value(key, bytes: bytes, as: T.self) } catch {
            preconditionFailure("state entry \(key) does not decode: \(error)")
        }
    }

    /// The entry under `key` decoded as `T`; a stored entry that does not decode is a broken invariant.
    func entry<T: CanonicalDecodable>(_ key: StateKey, as _: T.Type = T.self) -> T? {
        guard let bytes = raw(key) else { return nil }
        do { return try T(canonicalBytes: bytes) } catch {
            preconditionFailure("state entry \(key) does not decode: \(error)")
        }
    }

    /// Stages `value` under `key` (nil deletes).
    mutating func put(_ key: StateKey, _ value: (some CanonicalEncodable)?) {
        staged.updateValue(value?.canonicalBytes, forKey: key.treeKey)
    }

    /// Stages a bare `u64` under `key` (replay expiries and audit heads).
    mutating func putU64(_ key: StateKey, _ value: UInt64?) {
        staged.updateValue(value.map { v in var w = CanonicalWriter(capacity: 8); w.u64(v); return w.bytes }, forKey: key.treeKey)
    }

    /// The bare `u64` under `key`.
    func u64(_ key: StateKey) -> UInt64? {
        guard let bytes = raw(key) else { return nil }
        var r = CanonicalReader(bytes)
        guard let v = try? r.u64("u64"), r.remaining == 0 else { preconditionFailure("state entry \(key) is not a u64") }
        return v
    }

    /// Stages the pending validator changes.
    mutating func putPending(_ list: [PendingValidatorChange]) {
        var w = CanonicalWriter()
        w.array(list)
        staged.updateValue(w.bytes, forKey: StateKey.pendingValidatorChanges.treeKey)
    }

    /// Moves staged writes into the tree, hashing once.
    mutating func flush() {
        let updates = staged.map { (key: $0.key, value: $0.value) }.sorted { $0.key < $1.key }
        tree.apply(updates)
        staged.removeAll(keepingCapacity: true)
    }
}
