import CityEncoding

/// What a transaction does (not `Operation`, which Foundation already names). Encoded as a `u8` tag then the fields in the order listed
/// (docs/protocol/ledger.md, "LedgerOperation"); lists marked sorted must be strictly increasing.
package enum LedgerOperation: Hashable, Sendable {
    /// Tag 1. Creates dataset `id` owned by the signer's agency; `writers` (sorted, unique) may put records.
    case defineDataset(id: DatasetID, sensitivity: Sensitivity, schema: String, writers: [AgencyID])
    /// Tag 2. Writes a new version of `subject` whose payload is SHA-256 `payloadHash`. The payload
    /// itself travels beside the signed body (`SignedTransaction.payload`), so erasure can drop it
    /// and the transaction's id, signatures and Merkle leaf still verify.
    case putRecord(dataset: DatasetID, subject: SubjectKey, payloadHash: Hash32)
    /// Tag 3. Tombstones `subject` with a reason (history stays in the chain).
    case deleteRecord(dataset: DatasetID, subject: SubjectKey, reason: String)
    /// Tag 4. Lets `grantee` read `dataset` up to and including `expiresAtHeight` and, when
    /// `expiresAtMillis` is not 0, while the block time is before it (owner only).
    case grantAccess(dataset: DatasetID, grantee: AgencyID, expiresAtHeight: UInt64, expiresAtMillis: UInt64 = 0, purpose: String)
    /// Tag 5. Removes `grantee`'s grant on `dataset` (owner only).
    case revokeAccess(dataset: DatasetID, grantee: AgencyID)
    /// Tag 6 (admin). Registers an agency with its keys (sorted by key id, ids unique).
    case registerAgency(id: AgencyID, name: String, isAdmin: Bool, keys: [AgencyKey])
    /// Tag 7 (admin). Adds a signing or sealing key to an agency.
    case addAgencyKey(agency: AgencyID, key: AgencyKey)
    /// Tag 8 (admin). Revokes a key: from this transaction on it signs nothing.
    case revokeAgencyKey(agency: AgencyID, keyID: KeyID)
    /// Tag 9 (admin). Schedules validator changes (sorted by key) effective at this height + 2.
    case changeValidatorSet(changes: [ValidatorChange])
    /// Tag 10. Anchors the Merkle root of audit events `firstSequence...lastSequence` of the signer's agency.
    case anchorAuditBatch(firstSequence: UInt64, lastSequence: UInt64, recordCount: UInt64, merkleRoot: Hash32)
    /// Tag 11 (admin). Revokes a TLS certificate by its fingerprint (SHA-256 of its DER bytes): from
    /// this block on every service refuses it, at the handshake and on connections already open.
    case revokeCertificate(fingerprint: Hash32, reason: String)
    /// Tag 12. Gives `grantee` the content keys of records of the restricted `dataset` written
    /// before it could read them: each share is a record version's content key, re-wrapped by the
    /// owner to one of the grantee's sealing keys (owner only; sorted by subject, version, key id).
    case shareRecordKeys(dataset: DatasetID, grantee: AgencyID, shares: [RecordKeyShare])
    /// Tag 13. Erases `subject` (owner only, with a reason): the record becomes an erased entry,
    /// and from this height every validator and indexer drops the payloads of its earlier
    /// versions, keeping their hashes (crypto-shredding: the sealed content and its wrapped keys go).
    case eraseRecord(dataset: DatasetID, subject: SubjectKey, reason: String)

    /// The operation's wire tag.
    package var tag: UInt8 {
        switch self {
        case .defineDataset: 1
        case .putRecord: 2
        case .deleteRecord: 3
        case .grantAccess: 4
        case .revokeAccess: 5
        case .registerAgency: 6
        case .addAgencyKey: 7
        case .revokeAgencyKey: 8
        case .changeValidatorSet: 9
        case .anchorAuditBatch: 10
        case .revokeCertificate: 11
        case .shareRecordKeys: 12
        case .eraseRecord: 13
        }
    }

    /// A short name for logs and errors.
    package var name: String {
        switch self {
        case .defineDataset: "defineDataset"
        case .putRecord: "putRecord"
        case .deleteRecord: "deleteRecord"
        case .grantAccess: "grantAccess"
        case .revokeAccess: "revokeAccess"
        case .registerAgency: "registerAgency"
        case .addAgencyKey: "addAgencyKey"
        case .revokeAgencyKey: "revokeAgencyKey"
        case .changeValidatorSet: "changeValidatorSet"
        case .anchorAuditBatch: "anchorAuditBatch"
        case .revokeCertificate: "revokeCertificate"
        case .shareRecordKeys: "shareRecordKeys"
        case .eraseRecord: "eraseRecord"
        }
    }

    /// True for operations that need M-of-N admin signatures.
    package var requiresAdmin: Bool {
        switch self {
        case .registerAgency, .addAgencyKey, .revokeAgencyKey, .changeValidatorSet, .revokeCertificate: true
        default: false
        }
    }
}

extension LedgerOperation {
    /// The dataset whose record this operation writes or deletes (nil for every other operation).
    package var recordDataset: DatasetID? {
        switch self {
        case let .putRecord(d, _, _), let .deleteRecord(d, _, _), let .eraseRecord(d, _, _): d
        default: nil
        }
    }

    /// Whether the transaction carries a detached payload after its signatures (putRecord only).
    package var carriesPayload: Bool {
        if case .putRecord = self { true } else { false }
    }
}
