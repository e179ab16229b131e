import CityEncoding

extension LedgerState {
    /// The registered agency `id`.
    package func agency(_ id: AgencyID) -> AgencyEntry? { cachedEntry(.agency(id)) }
    /// The dataset `id`.
    package func dataset(_ id: DatasetID) -> DatasetEntry? { cachedEntry(.dataset(id)) }
    /// The current version of a record (deleted ones included, as tombstones).
    package func record(dataset: DatasetID, subject: SubjectKey) -> RecordEntry? { entry(.record(dataset, subject)) }
    /// The grant of `grantee` on `dataset`, live or expired.
    package func grant(dataset: DatasetID, grantee: AgencyID) -> GrantEntry? { entry(.grant(dataset, grantee)) }
    /// The admin agencies and threshold.
    package var adminSet: AdminSetEntry { entry(.adminSet)! }
    /// The validator set in force now (for height `height + 1` before its pending changes).
    package var currentValidatorSet: ValidatorSet { entry(.validatorSet)! }
    /// The anchored audit batch of `agency` starting at `firstSequence`.
    package func auditAnchor(agency: AgencyID, firstSequence: UInt64) -> AuditAnchorEntry? {
        entry(.auditAnchor(agency, firstSequence: firstSequence))
    }
    /// The next audit sequence `agency` must anchor, or nil before its first batch.
    package func nextAuditSequence(agency: AgencyID) -> UInt64? { u64(.auditHead(agency)) }

    /// Validator changes scheduled for later heights, in order of inclusion.
    package var pendingValidatorChanges: [PendingValidatorChange] {
        guard let bytes = raw(.pendingValidatorChanges) else { return [] }
        var r = CanonicalReader(bytes)
        do {
            let list: [PendingValidatorChange] = try r.array(max: Int(UInt32.max), "pendingValidatorChanges")
            try r.finish("pendingValidatorChanges")
            return list
        } catch { preconditionFailure("pending validator changes do not decode: \(error)") }
    }

    /// The set that signs block `h`, for `h` up to `height + 2` (later sets may still change); nil otherwise.
    package func validatorSet(forHeight h: UInt64) -> ValidatorSet? {
        guard h <= height + LedgerLimits.validatorChangeDelayHeights else { return nil }
        var set = currentValidatorSet
        for p in pendingValidatorChanges where p.effectiveHeight <= h {
            do { set = try set.applying(p.changes) } catch {
                preconditionFailure("a pending validator change accepted at validation no longer applies: \(error)")
            }
        }
        return set
    }
}
