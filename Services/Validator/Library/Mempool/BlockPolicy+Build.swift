import CityEncoding
import CityLedger

extension BlockPolicy {
    /// The block at `parent.height + 1` holding `transactions` (as reaped from the mempool) and
    /// `evidence` (as taken from the evidence pool), proposed by `proposer` at `nowMillis`, with
    /// the state after it.
    ///
    /// Transactions over `maxTransactionsPerBlock` or `maxBlockBytes` are left out (the later
    /// ones first), and so is any the ledger refuses at its place; evidence the ledger refuses,
    /// repeats of one offence and items past `LedgerLimits.maxEvidencePerBlock` are left out
    /// too, so the result always passes `validateProposal`. The time is `nowMillis`, or the
    /// parent's time plus 1 ms when the clock is not ahead of it. Same inputs, same block bytes.
    /// `signaturesVerified` names the transactions whose exact signatures were already verified
    /// (mempool admission).
    package func buildBlock(transactions: [SignedTransaction], evidence: [Equivocation] = [], parent: ChainTip,
                            state: LedgerState, proposer: PublicKey, nowMillis: UInt64,
                            signaturesVerified: (SignedTransaction) -> Bool = { _ in false }) -> ExecutedBlock {
        precondition(state.height == parent.height, "state at height \(state.height) is not the parent's (\(parent.height))")
        let height = parent.height + 1
        let fitting = withinLimits(transactions)
        let recorded = admissibleEvidence(evidence, state: state, height: height)
        var next = state
        var outcomes = next.applyBlock(fitting, height: height, evidence: recorded, signaturesVerified: signaturesVerified)
        var included = fitting
        if outcomes.contains(where: { if case .failure = $0.result { true } else { false } }) {
            // A refused transaction changes nothing, so without it the others get the same outcomes.
            included = zip(fitting, outcomes).compactMap { tx, o in if case .success = o.result { tx } else { nil } }
            next = state
            outcomes = next.applyBlock(included, height: height, evidence: recorded, signaturesVerified: signaturesVerified)
            precondition(outcomes.allSatisfy { if case .success = $0.result { true } else { false } },
                         "a transaction refused on the second pass without the refused ones")
        }
        guard let validators = state.validatorSet(forHeight: height) else {
            preconditionFailure("no validator set for the next height \(height)")
        }
        let header = BlockHeader(
            chainID: state.chainID, height: height, timeMillis: max(nowMillis, parent.timeMillis + 1),
            previousHash: parent.hash, transactionsRoot: Block.transactionsRoot(included),
            transactionCount: UInt32(included.count), evidenceRoot: Block.evidenceRoot(recorded), stateRoot: next.stateRoot,
            validatorSetHash: validators.hash, proposer: proposer)
        return ExecutedBlock(block: Block(header: header, transactions: included, evidence: recorded), state: next, outcomes: outcomes)
    }

    /// The transactions in order, leaving out any that would pass the count or byte limit.
    func withinLimits(_ transactions: [SignedTransaction]) -> [SignedTransaction] {
        var kept: [SignedTransaction] = []
        var keptBytes = 0
        for tx in transactions {
            guard kept.count < maxTransactionsPerBlock else { break }
            let size = tx.encodedSize
            guard keptBytes + size <= maxBlockBytes else { continue }
            kept.append(tx)
            keptBytes += size
        }
        return kept
    }

    /// The evidence in order that the ledger accepts in the block at `height` on top of `state`:
    /// each offence once, at most `LedgerLimits.maxEvidencePerBlock` items. Bounded by that count
    /// plus the refused items (two signature checks each).
    func admissibleEvidence(_ evidence: [Equivocation], state: LedgerState, height: UInt64) -> [Equivocation] {
        var kept: [Equivocation] = []
        var ids = Set<Hash32>()
        for e in evidence {
            guard kept.count < LedgerLimits.maxEvidencePerBlock else { break }
            let id = e.id
            guard !ids.contains(id), state.validateEvidence(e, atHeight: height) == nil else { continue }
            ids.insert(id)
            kept.append(e)
        }
        return kept
    }
}
