import CityEncoding

/// Where an entry lives in the state tree. The tree key is SHA-256(domain "citychain/state/v1" ||
/// u8 namespace tag || the fields' canonical bytes), so namespaces never collide.
package enum StateKey: Hashable, Sendable {
    /// Tag 1: chain id, height and genesis hash (`ChainMetaEntry`).
    case chainMeta
    /// Tag 2: an agency and its keys (`AgencyEntry`).
    case agency(AgencyID)
    /// Tag 3: a dataset's definition (`DatasetEntry`).
    case dataset(DatasetID)
    /// Tag 4: a record's current version (`RecordEntry`).
    case record(DatasetID, SubjectKey)
    /// Tag 5: a read grant (`GrantEntry`).
    case grant(DatasetID, AgencyID)
    /// Tag 6: admin agencies and threshold (`AdminSetEntry`).
    case adminSet
    /// Tag 7: the current validator set (`ValidatorSet`).
    case validatorSet
    /// Tag 8: scheduled validator changes (`PendingValidatorChanges`).
    case pendingValidatorChanges
    /// Tag 9: a committed, unexpired transaction id (`ReplayEntry`).
    case replay(TransactionID)
    /// Tag 10: an agency's next audit sequence (`AuditHeadEntry`).
    case auditHead(AgencyID)
    /// Tag 11: an anchored audit batch (`AuditAnchorEntry`).
    case auditAnchor(AgencyID, firstSequence: UInt64)
    /// Tag 12: a recorded equivocation, by `Equivocation.id` (`EvidenceEntry`).
    case evidence(Hash32)
    /// Tag 13: every certificate revoked on chain (`RevokedCertificates`).
    case revokedCertificates

    /// The namespace tag.
    package var tag: UInt8 {
        switch self {
        case .chainMeta: 1
        case .agency: 2
        case .dataset: 3
        case .record: 4
        case .grant: 5
        case .adminSet: 6
        case .validatorSet: 7
        case .pendingValidatorChanges: 8
        case .replay: 9
        case .auditHead: 10
        case .auditAnchor: 11
        case .evidence: 12
        case .revokedCertificates: 13
        }
    }

    /// The 32-byte key in the state tree.
    package var treeKey: Hash32 {
        var w = CanonicalWriter(capacity: 96)
        w.u8(tag)
        switch self {
        case .chainMeta, .adminSet, .validatorSet, .pendingValidatorChanges, .revokedCertificates: break
        case .agency(let a): w.encode(a)
        case .dataset(let d): w.encode(d)
        case let .record(d, s): w.encode(d); w.encode(s)
        case let .grant(d, a): w.encode(d); w.encode(a)
        case .replay(let id): w.encode(id)
        case .auditHead(let a): w.encode(a)
        case let .auditAnchor(a, first): w.encode(a); w.u64(first)
        case .evidence(let id): w.encode(id)
        }
        return LedgerDomain.hash(LedgerDomain.stateKey, w.bytes)
    }
}
