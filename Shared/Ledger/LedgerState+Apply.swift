import CityEncoding

extension LedgerState {
    /// Validates and applies one transaction at `atHeight`, hashing the tree once. Validators
    /// use `applyBlock`; this is for single checks and tests. A refused transaction changes nothing.
    package mutating func apply(_ tx: SignedTransaction, atHeight: UInt64) -> Result<TxEffect, Rejection> {
        precondition(staged.isEmpty, "apply called in the middle of a block")
        precondition(!isReadView, "a read view applies nothing")
        let result = applyStaged(tx, atHeight: atHeight)
        flush()
        return result
    }

    /// Applies block `height`: records its `evidence`, applies its transactions in order, and
    /// hashes the tree once. First prunes replay entries that expired and promotes validator
    /// changes that take effect at `height`.
    ///
    /// `signaturesVerified(tx)` returning true skips the Ed25519 checks of that transaction: the
    /// caller already verified these exact signatures (a mempool entry with the same signatures,
    /// or replay of a certified block). Keys are still checked for registration and revocation.
    ///
    /// The caller has checked `evidence` with `validateEvidence(_:atHeight:)` on this state
    /// (`validateProposal` and `buildBlock` do; a certified block's voters did), so only its
    /// signatures are taken on trust here: the other rules are asserted (`precondition`), which
    /// keeps an offence from ever being recorded twice.
    ///
    /// `committed`: the block is certified (replay, block sync), so a putRecord whose payload was
    /// erased since is valid (its payload checks passed when the block was certified); a proposal
    /// is never `committed`, so it must carry every payload.
    package mutating func applyBlock(_ transactions: [SignedTransaction], height newHeight: UInt64,
                                     evidence: [Equivocation] = [],
                                     signaturesVerified: (SignedTransaction) -> Bool = { _ in false },
                                     committed: Bool = false) -> [TxOutcome] {
        precondition(staged.isEmpty, "applyBlock called in the middle of a block")
        let outcomes = stageBlock(transactions, height: newHeight, evidence: evidence, certified: false, committed: committed,
                                  signaturesVerified: signaturesVerified)
        flush()
        return outcomes
    }

    /// Applies consecutive blocks and hashes the tree once, at the end. The state after the last
    /// block is the one applying each in turn gives (the tree's root depends only on its entries),
    /// but no root before the last is computed: for followers that check the state root of the
    /// last block of a batch only (the indexer), not for consensus. Same preconditions as `applyBlock`.
    ///
    /// `certified`: the blocks carry commit certificates the caller verified, and the caller checks
    /// the last one's state root. Their transactions are then executed without the ledger's
    /// validity checks, but for admin operations (rare, and their execution assumes them): the
    /// validators ran those checks before they certified the block (a block holding a failing
    /// transaction is never proposed), and any difference in rules or outcome ends in a state
    /// root other than the certified one. Two thirds of the cost of applying a transaction is
    /// its checks (issue 14's profile).
    package mutating func applyBlocks(_ blocks: [Block], certified: Bool = false,
                                      signaturesVerified: (SignedTransaction) -> Bool = { _ in false }) -> [[TxOutcome]] {
        precondition(staged.isEmpty, "applyBlocks called in the middle of a block")
        let outcomes = blocks.map { b in
            stageBlock(b.transactions, height: b.header.height, evidence: b.evidence, certified: certified, committed: certified,
                       signaturesVerified: signaturesVerified)
        }
        flush()
        return outcomes
    }

    /// Stages block `newHeight`'s writes (see `applyBlock`) without hashing.
    private mutating func stageBlock(_ transactions: [SignedTransaction], height newHeight: UInt64, evidence: [Equivocation],
                                     certified: Bool, committed: Bool, signaturesVerified: (SignedTransaction) -> Bool) -> [TxOutcome] {
        precondition(newHeight > height, "block height \(newHeight) does not follow applied height \(height)")
        precondition(!isReadView, "a read view applies no blocks")
        // Against the state before the block, as validateEvidence ran (beginBlock may change the set).
        if let bad = validateEvidence(evidence, atHeight: newHeight, signaturesVerified: true) {
            preconditionFailure("evidence \(bad.index) of block \(newHeight) was not validated before applyBlock: \(bad.rejection)")
        }
        beginBlock(newHeight)
        for e in evidence { put(.evidence(e.id), EvidenceEntry(e, includedAtHeight: newHeight)) }
        var outcomes: [TxOutcome] = []
        outcomes.reserveCapacity(transactions.count)
        for (i, tx) in transactions.enumerated() {
            outcomes.append(TxOutcome(transactionID: tx.id, index: i,
                                      result: certified && !tx.body.operation.requiresAdmin
                                          ? .success(record(tx, atHeight: newHeight))
                                          : applyStaged(tx, atHeight: newHeight, signaturesVerified: signaturesVerified(tx),
                                                        certified: committed)))
        }
        return outcomes
    }

    /// Applies `block` (its evidence and transactions, at its height): what replaying a stored
    /// block needs. Check `block.checkRoots()` and its certificate first; see the other `applyBlock`.
    package mutating func applyBlock(_ block: Block, signaturesVerified: (SignedTransaction) -> Bool = { _ in false },
                                     committed: Bool = false) -> [TxOutcome] {
        applyBlock(block.transactions, height: block.header.height, evidence: block.evidence, signaturesVerified: signaturesVerified,
                   committed: committed)
    }

    private mutating func applyStaged(_ tx: SignedTransaction, atHeight: UInt64, signaturesVerified: Bool = false,
                                      certified: Bool = false) -> Result<TxEffect, Rejection> {
        if let rejection = validate(tx, atHeight: atHeight, signaturesVerified: signaturesVerified, certified: certified) {
            return .failure(rejection)
        }
        return .success(record(tx, atHeight: atHeight))
    }

    /// Records a valid transaction's id in the replay set and executes it.
    private mutating func record(_ tx: SignedTransaction, atHeight: UInt64) -> TxEffect {
        let id = tx.id
        putU64(.replay(id), tx.body.expiresAtHeight)
        replayByExpiry[tx.body.expiresAtHeight, default: []].append(id)
        return execute(tx.body, id: id, atHeight: atHeight)
    }

    /// Height bookkeeping at the start of block `h`.
    private mutating func beginBlock(_ h: UInt64) {
        // Expired ids can never be replayed (expiry is checked first), so their entries go.
        // Buckets exist only up to height + lifetime, which bounds this loop.
        var e = prunedBelow
        while e < h && e <= height + LedgerLimits.maxTransactionLifetimeHeights {
            for id in replayByExpiry.removeValue(forKey: e) ?? [] { putU64(.replay(id), nil) }
            e += 1
        }
        prunedBelow = h
        let pending = pendingValidatorChanges
        let due = pending.filter { $0.effectiveHeight <= h }
        if !due.isEmpty {
            var set = currentValidatorSet
            for p in due {
                do { set = try set.applying(p.changes) } catch { preconditionFailure("scheduled validator change fails: \(error)") }
            }
            put(.validatorSet, set)
            putPending(pending.filter { $0.effectiveHeight > h })
        }
        height = h
        put(.chainMeta, ChainMetaEntry(chainID: chainID, height: h, genesisHash: genesisHash))
    }

    /// Performs a validated operation: interprets it (`effect(of:atHeight:nextVersion:)`, the one
    /// interpretation) and stores the effect.
    private mutating func execute(_ body: TransactionBody, id: TransactionID, atHeight h: UInt64) -> TxEffect {
        let effect = Self.effect(of: body, atHeight: h) { ds, subject in (record(dataset: ds, subject: subject)?.version ?? 0) + 1 }
        store(effect, of: body, id: id, atHeight: h)
        return effect
    }

    /// Writes an effect into the state.
    private mutating func store(_ effect: TxEffect, of body: TransactionBody, id: TransactionID, atHeight h: UInt64) {
        switch effect {
        case .datasetDefined(let entry):
            put(.dataset(entry.id), entry)
        case let .recordPut(ds, subject, version):
            guard case .putRecord(_, _, let payloadHash) = body.operation else { preconditionFailure("recordPut from \(body.operation.name)") }
            put(.record(ds, subject), RecordEntry(version: version, payloadHash: payloadHash, writer: body.signer,
                                                  height: h, transactionID: id, deleted: false))
        case let .recordDeleted(ds, subject, version):
            put(.record(ds, subject), RecordEntry(version: version, payloadHash: .zero, writer: body.signer,
                                                  height: h, transactionID: id, deleted: true))
        case let .recordErased(ds, subject, version):
            put(.record(ds, subject), RecordEntry(version: version, payloadHash: .zero, writer: body.signer,
                                                  height: h, transactionID: id, deleted: true, erased: true))
        case let .accessGranted(ds, grantee, entry):
            put(.grant(ds, grantee), entry)
        case let .accessRevoked(ds, grantee):
            put(.grant(ds, grantee), GrantEntry?.none)
        case .agencyRegistered(let entry):
            put(.agency(entry.id), entry)
            if entry.isAdmin {
                let admins = adminSet
                put(.adminSet, AdminSetEntry(admins: admins.admins + [entry.id], threshold: admins.threshold))
            }
        case let .keyAdded(agencyID, key):
            var a = agency(agencyID)!
            a.keys.append(AgencyKeyState(key: key, addedAtHeight: h))
            put(.agency(agencyID), AgencyEntry(id: a.id, name: a.name, isAdmin: a.isAdmin, keys: a.keys))
        case let .keyRevoked(agencyID, keyID):
            var a = agency(agencyID)!
            let i = a.keys.firstIndex { $0.key.keyID == keyID }!
            a.keys[i].revokedAtHeight = h
            put(.agency(agencyID), a)
        case .validatorChangeScheduled(let change):
            putPending(pendingValidatorChanges + [change])
        case let .auditAnchored(me, first, last):
            guard case let .anchorAuditBatch(_, _, count, root) = body.operation else { preconditionFailure("auditAnchored from \(body.operation.name)") }
            put(.auditAnchor(me, firstSequence: first), AuditAnchorEntry(firstSequence: first, lastSequence: last, recordCount: count,
                                                                          merkleRoot: root, height: h, transactionID: id))
            putU64(.auditHead(me), last &+ 1)
        case .certificateRevoked(let entry):
            put(.revokedCertificates, revokedCertificates.adding(entry))
        case .recordKeysShared:
            // The shares live in the block (and the index), not the state: the grantee proves one
            // by its transaction's inclusion, and a wrong key fails the payload's AEAD tag anyway.
            break
        }
    }
}

extension LedgerState {
    /// What `body`'s operation changes when it commits at `atHeight`: the one interpretation of an
    /// operation. `nextVersion` gives the version a record write takes (the state's latest + 1);
    /// followers without a state (`ChainTracker`, the gateway's `KeyDirectory`) use only the
    /// effects that need none (`statelessEffect`).
    package static func effect(of body: TransactionBody, atHeight h: UInt64,
                               nextVersion: (DatasetID, SubjectKey) -> UInt64) -> TxEffect {
        switch body.operation {
        case let .defineDataset(id, sensitivity, schema, writers):
            .datasetDefined(DatasetEntry(id: id, owner: body.signer.agency, sensitivity: sensitivity, schema: schema,
                                         writers: writers, createdAtHeight: h))
        case let .putRecord(ds, subject, _): .recordPut(ds, subject, version: nextVersion(ds, subject))
        case let .deleteRecord(ds, subject, _): .recordDeleted(ds, subject, version: nextVersion(ds, subject))
        case let .eraseRecord(ds, subject, _): .recordErased(ds, subject, version: nextVersion(ds, subject))
        case let .grantAccess(ds, grantee, expiresAtHeight, expiresAtMillis, purpose):
            .accessGranted(ds, grantee, GrantEntry(expiresAtHeight: expiresAtHeight, expiresAtMillis: expiresAtMillis,
                                                   purpose: purpose, grantedAtHeight: h))
        case let .revokeAccess(ds, grantee): .accessRevoked(ds, grantee)
        case let .registerAgency(id, name, isAdmin, keys):
            .agencyRegistered(AgencyEntry(id: id, name: name, isAdmin: isAdmin, keys: keys.map { AgencyKeyState(key: $0, addedAtHeight: h) }))
        case let .addAgencyKey(agency, key): .keyAdded(agency, key)
        case let .revokeAgencyKey(agency, keyID): .keyRevoked(agency, keyID)
        case let .changeValidatorSet(changes):
            .validatorChangeScheduled(PendingValidatorChange(effectiveHeight: h + LedgerLimits.validatorChangeDelayHeights, changes: changes))
        case let .anchorAuditBatch(first, last, _, _): .auditAnchored(body.signer.agency, firstSequence: first, lastSequence: last)
        case let .revokeCertificate(fingerprint, reason):
            .certificateRevoked(RevokedCertificate(fingerprint: fingerprint, revokedAtHeight: h, reason: reason))
        case let .shareRecordKeys(ds, grantee, shares): .recordKeysShared(ds, grantee, shareCount: UInt32(shares.count))
        }
    }

    /// The effect of an operation whose effect needs no state (every one but record writes and
    /// deletes, whose version the state knows): for followers that track the chain without a state.
    package static func statelessEffect(of body: TransactionBody, atHeight h: UInt64) -> TxEffect? {
        switch body.operation {
        case .putRecord, .deleteRecord, .eraseRecord: nil
        default: effect(of: body, atHeight: h) { _, _ in preconditionFailure("a record write needs the state") }
        }
    }
}
