/// What an applied transaction changed: the ledger's one interpretation of an operation. Rich
/// enough that nothing else re-interprets operations: the indexer plans its rows from effects
/// (record versions, datasets, grants, agencies), followers take validator-set changes from
/// `LedgerState.scheduledValidatorChange`, and key directories take keys from them.
package enum TxEffect: Hashable, Sendable {
    /// A dataset was defined (the entry as stored).
    case datasetDefined(DatasetEntry)
    /// A record version was written.
    case recordPut(DatasetID, SubjectKey, version: UInt64)
    /// A record was tombstoned at this version.
    case recordDeleted(DatasetID, SubjectKey, version: UInt64)
    /// A grant was created or replaced (the entry as stored).
    case accessGranted(DatasetID, AgencyID, GrantEntry)
    /// A grant was removed.
    case accessRevoked(DatasetID, AgencyID)
    /// An agency was registered (the entry as stored, keys included).
    case agencyRegistered(AgencyEntry)
    /// A key was added.
    case keyAdded(AgencyID, AgencyKey)
    /// A key was revoked.
    case keyRevoked(AgencyID, KeyID)
    /// A validator-set change was scheduled.
    case validatorChangeScheduled(PendingValidatorChange)
    /// An audit batch was anchored.
    case auditAnchored(AgencyID, firstSequence: UInt64, lastSequence: UInt64)
    /// A certificate was revoked (the entry as stored).
    case certificateRevoked(RevokedCertificate)
    /// Record content keys were re-wrapped to a grantee (how many; the shares are in the transaction).
    case recordKeysShared(DatasetID, AgencyID, shareCount: UInt32)
    /// A record was erased at this version: from this height every node drops the payloads of its
    /// earlier versions (`SignedTransaction.erasingPayload`).
    case recordErased(DatasetID, SubjectKey, version: UInt64)
}
