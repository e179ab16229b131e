import CityEncoding

extension LedgerState {
    /// Why `tx` cannot be applied at `atHeight`, or nil if it can. Checks, in order: stateless
    /// rules, expiry and lifetime, replay, every signature against an active registered key,
    /// the admin quorum, then the operation's own rules. With `signaturesVerified` the Ed25519
    /// checks are skipped (the caller already verified these exact signatures, e.g. on mempool
    /// admission, or the block is certified); keys must still be registered and active.
    /// `certified`: the transaction is in a committed block (replay), where a putRecord's payload
    /// may have been erased since; its payload checks passed when the block was certified.
    package func validate(_ tx: SignedTransaction, atHeight: UInt64, signaturesVerified: Bool = false,
                          certified: Bool = false) -> Rejection? {
        do throws(Rejection) {
            try tx.checkStateless(chainID: chainID, erasedPayloadAllowed: certified)
            let body = tx.body
            try body.checkNotExpired(atHeight: atHeight)
            let maxExpiry = atHeight + LedgerLimits.maxTransactionLifetimeHeights
            guard body.expiresAtHeight <= maxExpiry else {
                throw .lifetimeTooLong(expiresAtHeight: body.expiresAtHeight, maxHeight: maxExpiry)
            }
            let id = tx.id
            guard raw(.replay(id)) == nil else { throw .replayed(id) }
            let signers = try verifySignatures(tx, checkEd25519: !signaturesVerified)
            if body.operation.requiresAdmin { try checkAdminQuorum(signers) }
            try checkOperation(body, payload: tx.payloadBytes, atHeight: atHeight)
            return nil
        } catch {
            return error
        }
    }

    /// Verifies every signature against its signer's active signing key (the Ed25519 check only
    /// when `checkEd25519`); returns the signing agencies.
    func verifySignatures(_ tx: SignedTransaction, checkEd25519: Bool = true) throws(Rejection) -> [AgencyEntry] {
        let message = tx.signingMessage
        var agencies: [AgencyEntry] = []
        for s in tx.signatures {
            guard let agency = agency(s.signer.agency) else { throw .unknownAgency(s.signer.agency) }
            guard let key = agency.key(s.signer.keyID), case .signing(let publicKey) = key.key.material else {
                throw .unknownKey(s.signer)
            }
            if let revoked = key.revokedAtHeight { throw .revokedKey(s.signer, revokedAtHeight: revoked) }
            guard !checkEd25519 || publicKey.isValidSignature(s.signature, for: message) else { throw .badSignature(s.signer) }
            agencies.append(agency)
        }
        return agencies
    }

    /// Requires every signer to be an admin and at least `threshold` distinct admin agencies.
    func checkAdminQuorum(_ signers: [AgencyEntry]) throws(Rejection) {
        let admins = adminSet
        for a in signers where !a.isAdmin { throw .notAdmin(a.id) }
        let distinct = Set(signers.map(\.id)).count
        guard distinct >= Int(admins.threshold) else { throw .adminQuorumNotMet(have: distinct, need: Int(admins.threshold)) }
    }

    /// The rules of each operation against the current state.
    /// `payload` is a putRecord's payload (nil once erased: its checks passed when it was committed).
    func checkOperation(_ body: TransactionBody, payload: [UInt8]?, atHeight: UInt64) throws(Rejection) {
        let me = body.signer.agency
        switch body.operation {
        case let .defineDataset(id, _, _, writers):
            guard dataset(id) == nil else { throw .datasetExists(id) }
            for w in writers where agency(w) == nil { throw .unknownWriter(w) }
        case let .putRecord(datasetID, _, _):
            let d = try writableDataset(datasetID, by: me)
            if d.sensitivity == .restricted, let payload { try checkSealed(payload, owner: d.owner) }
        case let .deleteRecord(datasetID, subject, _):
            _ = try writableDataset(datasetID, by: me)
            guard let r = record(dataset: datasetID, subject: subject), !r.deleted else { throw .recordNotFound(datasetID, subject) }
        case let .grantAccess(datasetID, grantee, expiresAtHeight, _, _):
            _ = try ownedDataset(datasetID, by: me)
            guard agency(grantee) != nil else { throw .unknownAgency(grantee) }
            guard expiresAtHeight > atHeight else { throw .grantExpiryInPast(expiresAtHeight: expiresAtHeight, height: atHeight) }
        case let .revokeAccess(datasetID, grantee):
            _ = try ownedDataset(datasetID, by: me)
            guard grant(dataset: datasetID, grantee: grantee) != nil else { throw .grantNotFound(datasetID, grantee) }
        case let .registerAgency(id, _, _, _):
            guard agency(id) == nil else { throw .agencyExists(id) }
        case let .addAgencyKey(agencyID, key):
            guard let a = agency(agencyID) else { throw .unknownAgency(agencyID) }
            guard a.key(key.keyID) == nil else { throw .keyExists(agencyID, key.keyID) }
            guard a.keys.count < LedgerLimits.maxKeysPerAgency else { throw .tooManyKeys(agencyID) }
        case let .revokeAgencyKey(agencyID, keyID):
            guard let a = agency(agencyID) else { throw .unknownAgency(agencyID) }
            guard let k = a.key(keyID) else { throw .unknownKey(Signer(agency: agencyID, keyID: keyID)) }
            guard k.revokedAtHeight == nil else { throw .keyAlreadyRevoked(agencyID, keyID) }
        case let .changeValidatorSet(changes):
            guard !changes.isEmpty else { throw .invalidValidatorChange("no changes; list at least one") }
            _ = try projectedValidatorSet().applying(changes)
        case let .anchorAuditBatch(first, last, count, _):
            guard first <= last, count >= 1 else {
                throw .invalidAuditBatch("sequences \(first)...\(last) with \(count) records; need first ≤ last and at least one record")
            }
            if let next = nextAuditSequence(agency: me), next != first { throw .auditSequenceGap(expected: next, got: first) }
        case let .revokeCertificate(fingerprint, _):
            let revoked = revokedCertificates
            if let entry = revoked.entry(fingerprint) { throw .certificateAlreadyRevoked(fingerprint, atHeight: entry.revokedAtHeight) }
            guard revoked.entries.count < LedgerLimits.maxRevokedCertificates else { throw .tooManyRevokedCertificates }
        case let .shareRecordKeys(datasetID, grantee, shares):
            try checkKeyShares(shares, dataset: try ownedDataset(datasetID, by: me), grantee: grantee, atHeight: atHeight)
        case let .eraseRecord(datasetID, subject, _):
            _ = try ownedDataset(datasetID, by: me)
            guard let r = record(dataset: datasetID, subject: subject) else { throw .recordNotFound(datasetID, subject) }
            guard !r.erased else { throw .recordAlreadyErased(datasetID, subject) }
        }
    }

    private func writableDataset(_ id: DatasetID, by agency: AgencyID) throws(Rejection) -> DatasetEntry {
        guard let d = dataset(id) else { throw .unknownDataset(id) }
        guard d.canWrite(agency) else { throw .notDatasetWriter(agency, id) }
        return d
    }

    private func ownedDataset(_ id: DatasetID, by agency: AgencyID) throws(Rejection) -> DatasetEntry {
        guard let d = dataset(id) else { throw .unknownDataset(id) }
        guard d.owner == agency else { throw .notDatasetOwner(agency, id) }
        return d
    }

    /// A restricted payload must be a `SealedPayload` whose recipients are active registered sealing
    /// keys, one of them the dataset owner's (so the owner can later re-wrap it for a new grantee).
    private func checkSealed(_ payload: [UInt8], owner: AgencyID) throws(Rejection) {
        let sealed: SealedPayload
        do { sealed = try SealedPayload(canonicalBytes: payload) } catch { throw .payloadNotSealed(error.description) }
        for r in sealed.recipients where !isActiveSealingKey(r.agency, r.keyID) {
            throw .payloadNotSealed("recipient \(r.agency)#\(r.keyID) is not an active registered sealing key")
        }
        guard sealed.recipients.contains(where: { $0.agency == owner }) else {
            throw .payloadNotSealed("no recipient is the dataset owner \(owner); seal to the owner's sealing key too, so it can share the record with agencies it grants access later")
        }
    }

    private func isActiveSealingKey(_ agencyID: AgencyID, _ keyID: KeyID) -> Bool {
        guard let a = agency(agencyID), let k = a.key(keyID), case .sealing = k.key.material else { return false }
        return k.revokedAtHeight == nil
    }

    /// Shares go to a grantee that may read the restricted dataset, each to one of its active
    /// sealing keys, for record versions that exist.
    private func checkKeyShares(_ shares: [RecordKeyShare], dataset d: DatasetEntry, grantee: AgencyID,
                                atHeight: UInt64) throws(Rejection) {
        guard d.sensitivity == .restricted else {
            throw .invalidKeyShare("dataset \(d.id) is \(d.sensitivity), not restricted: its payloads are not sealed, there is no key to share")
        }
        guard agency(grantee) != nil else { throw .unknownAgency(grantee) }
        let mayRead = d.writers.contains(grantee) || grant(dataset: d.id, grantee: grantee).map { atHeight <= $0.expiresAtHeight } ?? false
        guard mayRead else {
            throw .invalidKeyShare("\(grantee) holds no live grant on \(d.id); grant access first (grantAccess), then share the keys")
        }
        for s in shares {
            guard s.key.agency == grantee else {
                throw .invalidKeyShare("share for \(s.subject) v\(s.version) is wrapped to \(s.key.agency), not the grantee \(grantee)")
            }
            guard isActiveSealingKey(grantee, s.key.keyID) else {
                throw .invalidKeyShare("\(grantee)#\(s.key.keyID) is not an active registered sealing key; wrap to one the grantee holds")
            }
            guard s.version >= 1, let r = record(dataset: d.id, subject: s.subject), s.version <= r.version else {
                throw .invalidKeyShare("\(d.id)/\(s.subject) has no version \(s.version); share keys of versions written before")
            }
        }
    }

    /// The set after every pending change: what a new change is applied on top of.
    func projectedValidatorSet() -> ValidatorSet {
        var set = currentValidatorSet
        for p in pendingValidatorChanges {
            do { set = try set.applying(p.changes) } catch { preconditionFailure("pending change no longer applies: \(error)") }
        }
        return set
    }
}
