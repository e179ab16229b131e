import CityEncoding
import CityMerkle

extension LedgerState {
    /// The bytes under `key` (nil if absent) and a proof of them, or of their absence, against `stateRoot`.
    package func prove(_ key: StateKey) -> (value: [UInt8]?, proof: StateProof) {
        precondition(staged.isEmpty, "proof requested in the middle of a block")
        let k = key.treeKey
        return (tree.value(for: k), tree.prove(k))
    }

    /// A record's current entry (nil if never written) and its proof.
    package func proveRecord(dataset: DatasetID, subject: SubjectKey) -> (RecordEntry?, StateProof) {
        let (_, proof) = prove(.record(dataset, subject))
        return (record(dataset: dataset, subject: subject), proof)
    }

    /// A grant (nil if none) and its proof.
    package func proveGrant(dataset: DatasetID, grantee: AgencyID) -> (GrantEntry?, StateProof) {
        let (_, proof) = prove(.grant(dataset, grantee))
        return (grant(dataset: dataset, grantee: grantee), proof)
    }

    /// True when `proof` shows that `key` holds `entry` (nil: holds nothing) under `stateRoot`.
    package static func verify(_ key: StateKey, entry: (some CanonicalEncodable)?, proof: StateProof, stateRoot: Hash32) -> Bool {
        proof.verify(key: key.treeKey, value: entry?.canonicalBytes, root: stateRoot)
    }

    /// True when `proof` shows the record's entry (nil: never written) under `stateRoot`.
    package static func verifyRecord(dataset: DatasetID, subject: SubjectKey, entry: RecordEntry?, proof: StateProof,
                                     stateRoot: Hash32) -> Bool {
        verify(.record(dataset, subject), entry: entry, proof: proof, stateRoot: stateRoot)
    }
}

extension LedgerState {
    /// True when `proof` shows `pending` as the scheduled validator changes under `stateRoot`
    /// (the list's canonical bytes are the stored value).
    package static func verifyPending(_ pending: [PendingValidatorChange], proof: StateProof, stateRoot: Hash32) -> Bool {
        var w = CanonicalWriter()
        w.array(pending)
        return proof.verify(key: StateKey.pendingValidatorChanges.treeKey, value: w.bytes, root: stateRoot)
    }
}
