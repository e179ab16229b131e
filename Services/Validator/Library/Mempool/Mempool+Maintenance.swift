import CityLedger

extension Mempool {
    /// After the block at `height` committed `ids`: drops them from the pool and remembers them
    /// as committed, so a resubmission is answered `.duplicate(.committed(height:))`. Ids not
    /// pending (committed from another validator's pool) are remembered too.
    package mutating func removeCommitted(ids: some Sequence<TransactionID>, height: UInt64) {
        for id in ids {
            remove(id)
            rememberCommitted(id, height: height)
        }
    }

    /// Drops transactions that can no longer be included at `height` (their expiry is below
    /// it); returns their ids in arrival order. Bounded by `count`.
    @discardableResult
    package mutating func pruneExpired(atHeight height: UInt64) -> [TransactionID] {
        removeExpired(atHeight: height).map(\.id)
    }

    /// Removes and returns the entries whose expiry is below `height`, in arrival order.
    private mutating func removeExpired(atHeight height: UInt64) -> [MempoolEntry] {
        let expired = order.compactMap { entries[$0] }.filter { $0.expiresAtHeight < height }
        for e in expired { remove(e.id) }
        return expired
    }

    /// Re-validates pending transactions against `state` (after a block) for inclusion at
    /// `height`, and drops those the ledger now refuses (a revoked key, a dataset defined
    /// meanwhile, an expiry passed). Checks at most `limits.maxRecheckPerCall` transactions per
    /// call, resuming after the last one checked and wrapping around, so that every pending
    /// transaction is rechecked in turn at a bounded cost per block. Returns the dropped ids
    /// with their rejections, in the order checked.
    ///
    /// `skippingPutRecords`: the block committed only `putRecord`s, which write records, replay
    /// entries and audit heads but no agency or dataset entry; a pending `putRecord` reads only
    /// those (its signers' keys, its dataset's writers and owner) besides its own expiry and
    /// replay entry (handled by `removeExpired` and `removeCommitted`), so none can have become
    /// invalid and they are not checked again. Under load that was most of the recheck: every
    /// pending write re-validated after each block (6.5% of a validator's CPU).
    @discardableResult
    package mutating func recheck(state: LedgerState, height: UInt64,
                                  skippingPutRecords: Bool = false) -> [(id: TransactionID, rejection: Rejection)] {
        precondition(height == state.height + 1, "recheck height \(height) is not the state's next height \(state.height + 1)")
        let budget = min(limits.maxRecheckPerCall, count)
        guard budget > 0 else { return [] }
        let start = orderIndex(from: recheckCursor)
        var dropped: [(id: TransactionID, rejection: Rejection)] = []
        var checked = 0, visited = 0
        var last = recheckCursor
        // From the cursor to the end, then wrapping to the front; `order` may hold removed sequences.
        while checked < budget && visited < order.count {
            let s = order[(start + visited) % order.count]
            visited += 1
            guard let entry = entries[s] else { continue }
            if skippingPutRecords, case .putRecord = entry.transaction.body.operation { continue }
            rechecked &+= 1
            checked += 1
            last = s
            // Admission verified these exact signatures; what a block can change is state (keys
            // revoked, datasets, expiry, replay), so the Ed25519 checks are not repeated.
            if let rejection = state.validate(entry.transaction, atHeight: height, signaturesVerified: true) {
                dropped.append((entry.id, rejection))
            }
        }
        recheckCursor = last &+ 1
        for d in dropped { remove(d.id) }
        return dropped
    }
}

extension Mempool {
    /// Everything the pool does after `block` is committed and `state` is the state after it, in
    /// the order that keeps the answers right: its transactions leave the pool and are
    /// remembered as committed, expired ones are dropped, then a bounded `recheck` runs for the
    /// next height. Returns what was dropped (expired ones with `.expired`), in that order.
    @discardableResult
    package mutating func blockCommitted(_ block: Block, state: LedgerState) -> [(id: TransactionID, rejection: Rejection)] {
        precondition(block.header.height == state.height, "state at height \(state.height) is not after block \(block.header.height)")
        let next = state.height + 1
        removeCommitted(ids: block.transactions.map(\.id), height: block.header.height)
        let expired = removeExpired(atHeight: next).map { e in
            (id: e.id, rejection: Rejection.expired(expiresAtHeight: e.expiresAtHeight, height: next))
        }
        let onlyPuts = block.transactions.allSatisfy { tx in
            if case .putRecord = tx.body.operation { true } else { false }
        }
        return expired + recheck(state: state, height: next, skippingPutRecords: onlyPuts)
    }
}
