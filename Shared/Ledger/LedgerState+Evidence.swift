import CityEncoding

extension LedgerState {
    /// The recorded equivocation with this `Equivocation.id`, if any.
    package func evidenceEntry(_ id: Hash32) -> EvidenceEntry? { entry(.evidence(id)) }

    /// Every certificate revoked on chain so far (empty when none is).
    package var revokedCertificates: RevokedCertificates { entry(.revokedCertificates) ?? RevokedCertificates(entries: []) }

    /// Why `evidence` cannot be recorded by the block at `atHeight` on top of this state, or nil
    /// if it can. Checks, cheapest first: the two items conflict (`Equivocation.checkConflict`);
    /// `atHeight - maxEvidenceAgeHeights ≤ evidence height ≤ atHeight`; the offence is not
    /// recorded yet; the offender is in `currentValidatorSet`; then both signatures (skipped with
    /// `signaturesVerified`, when the caller already verified these exact bytes).
    ///
    /// Membership is checked against the set in force now, not the set at the evidence's height:
    /// a simplification that needs no history of sets. It refuses evidence against a validator
    /// removed since (ops have acted on it) and is at most `maxEvidenceAgeHeights` off otherwise.
    /// Recording evidence changes no power: there is no automatic slashing or removal; ops act on
    /// the recorded fact with an admin `changeValidatorSet`.
    package func validateEvidence(_ evidence: Equivocation, atHeight: UInt64, signaturesVerified: Bool = false) -> Rejection? {
        do throws(Rejection) {
            try evidence.checkConflict()
            let h = evidence.height
            guard h <= atHeight else { throw .evidenceTooNew(height: h, maxHeight: atHeight) }
            let oldest = atHeight > LedgerLimits.maxEvidenceAgeHeights ? atHeight - LedgerLimits.maxEvidenceAgeHeights : 0
            guard h >= oldest else { throw .evidenceTooOld(height: h, minHeight: oldest) }
            let id = evidence.id
            if let recorded = evidenceEntry(id) { throw .evidenceAlreadyRecorded(id, includedAtHeight: recorded.includedAtHeight) }
            guard currentValidatorSet.validator(evidence.offender) != nil else {
                throw .evidenceOffenderNotValidator(evidence.offender)
            }
            if !signaturesVerified { try evidence.checkSignatures(chainID: chainID) }
            return nil
        } catch {
            return error
        }
    }

    /// The first reason the evidence of the block at `atHeight` cannot be recorded, with the index
    /// of the item it concerns, or nil when all of it can: at most `maxEvidencePerBlock` items
    /// (the index is then the first one over), each valid (`validateEvidence`), no offence twice.
    package func validateEvidence(_ items: [Equivocation], atHeight: UInt64,
                                  signaturesVerified: Bool = false) -> (index: Int, rejection: Rejection)? {
        guard items.count <= LedgerLimits.maxEvidencePerBlock else {
            return (LedgerLimits.maxEvidencePerBlock, .tooMuchEvidence(count: items.count, max: LedgerLimits.maxEvidencePerBlock))
        }
        var seen = Set<Hash32>()
        for (i, e) in items.enumerated() {
            guard seen.insert(e.id).inserted else { return (i, .duplicateEvidence(e.id)) }
            if let rejection = validateEvidence(e, atHeight: atHeight, signaturesVerified: signaturesVerified) { return (i, rejection) }
        }
        return nil
    }
}
