import CityLedger

extension Mempool {
    /// Transactions for the block at `height` on top of `state`, in arrival order: at most
    /// `maxTransactions` of them and `maxBytes` in total. Each is applied to a scratch copy of
    /// `state` in turn, so one that conflicts with an earlier pick (two definitions of one
    /// dataset, a write after its writer's key revocation, a second use of an audit sequence) or
    /// became invalid is skipped: a proposal built from the result has every transaction valid.
    /// Skipped transactions stay pending; `recheck` drops them once they are invalid on chain.
    /// Work is bounded by `count` (one signature check per candidate).
    package func reap(maxTransactions: Int, maxBytes: Int, state: LedgerState, height: UInt64) -> [SignedTransaction] {
        precondition(height == state.height + 1, "reap height \(height) is not the state's next height \(state.height + 1)")
        precondition(maxTransactions >= 0 && maxBytes >= 0, "reap bounds cannot be negative")
        var scratch = state
        var picked: [SignedTransaction] = []
        var pickedBytes = 0
        for s in order {
            guard picked.count < maxTransactions else { break }
            guard let entry = entries[s], pickedBytes + entry.encodedBytes <= maxBytes else { continue }
            guard case .success = scratch.apply(entry.transaction, atHeight: height) else { continue }
            picked.append(entry.transaction)
            pickedBytes += entry.encodedBytes
        }
        return picked
    }
}

extension Mempool {
    /// Pending transactions in arrival order within `maxTransactions` and `maxBytes`, without
    /// applying them: `BlockPolicy.buildBlock` applies the whole batch at once (one tree hash)
    /// and leaves out any the ledger refuses at its place, which `reap`'s per-transaction scratch
    /// apply (one tree hash each) does not scale to thousands of transactions per block.
    package func candidates(maxTransactions: Int, maxBytes: Int) -> [SignedTransaction] {
        precondition(maxTransactions >= 0 && maxBytes >= 0, "candidate bounds cannot be negative")
        var picked: [SignedTransaction] = []
        var pickedBytes = 0
        for s in order {
            guard picked.count < maxTransactions else { break }
            guard let entry = entries[s], pickedBytes + entry.encodedBytes <= maxBytes else { continue }
            picked.append(entry.transaction)
            pickedBytes += entry.encodedBytes
        }
        return picked
    }

    /// True when `tx` is pending with exactly these signatures, which admission verified: its
    /// Ed25519 checks need not run again when a block including it is built or validated. A
    /// transaction with the same id (body) but other signature bytes is not covered.
    package func hasVerified(_ tx: SignedTransaction) -> Bool {
        guard let s = sequenceByID[tx.id], let entry = entries[s] else { return false }
        return entry.transaction.signatures == tx.signatures
    }
}
