/// What an applied transaction changed (for receipts, logs and indexers).
package enum TxEffect: Hashable, Sendable {
    /// A dataset was defined.
    case datasetDefined(DatasetID)
    /// A record version was written.
    case recordPut(DatasetID, SubjectKey, version: UInt64)
    /// A record was tombstoned at this version.
    case recordDeleted(DatasetID, SubjectKey, version: UInt64)
    /// A grant was created or replaced.
    case accessGranted(DatasetID, AgencyID, expiresAtHeight: UInt64)
    /// A grant was removed.
    case accessRevoked(DatasetID, AgencyID)
    /// An agency was registered.
    case agencyRegistered(AgencyID)
    /// A key was added.
    case keyAdded(AgencyID, KeyID)
    /// A key was revoked.
    case keyRevoked(AgencyID, KeyID)
    /// A validator-set change was scheduled.
    case validatorChangeScheduled(effectiveHeight: UInt64)
    /// An audit batch was anchored.
    case auditAnchored(AgencyID, firstSequence: UInt64, lastSequence: UInt64)
}
