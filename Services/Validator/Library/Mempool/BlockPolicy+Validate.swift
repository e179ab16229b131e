import CityEncoding
import CityLedger

extension BlockPolicy {
    /// Consensus `valid(v)` for a proposed `block` on top of `parent`, whose state is `state`,
    /// checked at local time `nowMillis`: the header's chain, height, parent hash, time (after
    /// the parent's and at most `maxClockDriftMillis` ahead of local time), validator set and
    /// proposer; the limits; the transactions' count and root and the evidence root; then every
    /// evidence item must pass `LedgerState.validateEvidence`, every transaction applied in order
    /// must be accepted, and the state root must match. Cheap checks run first, so a bad header
    /// costs no signature verification. Returns the executed block to vote on.
    /// `signaturesVerified` names transactions whose exact signatures this node already verified
    /// (a mempool entry with the same signatures); the others are verified here.
    /// `committed`: the block is already certified (block sync), so payloads erased since may be absent.
    package func validateProposal(block: Block, parent: ChainTip, state: LedgerState, nowMillis: UInt64,
                                  signaturesVerified: (SignedTransaction) -> Bool = { _ in false },
                                  committed: Bool = false) -> Result<ExecutedBlock, ProposalRejection> {
        precondition(state.height == parent.height, "state at height \(state.height) is not the parent's (\(parent.height))")
        do throws(ProposalRejection) {
            try checkHeader(block.header, parent: parent, state: state, nowMillis: nowMillis)
            try checkBody(block)
            try checkEvidence(block, state: state)
            return .success(try execute(block, state: state, signaturesVerified: signaturesVerified, committed: committed))
        } catch {
            return .failure(error)
        }
    }

    /// The header's fields that need no transaction.
    func checkHeader(_ h: BlockHeader, parent: ChainTip, state: LedgerState, nowMillis: UInt64) throws(ProposalRejection) {
        guard h.chainID == state.chainID else {
            throw ProposalRejection(.wrongChain, "block is for chain \(h.chainID), this validator runs \(state.chainID)")
        }
        guard h.height == parent.height + 1 else {
            throw ProposalRejection(.wrongHeight, "block height \(h.height) does not follow the parent's \(parent.height)")
        }
        guard h.previousHash == parent.hash else {
            throw ProposalRejection(.wrongPreviousHash, "previous hash \(h.previousHash) is not the parent's \(parent.hash)")
        }
        guard h.timeMillis > parent.timeMillis else {
            throw ProposalRejection(.timeNotAfterParent, "time \(h.timeMillis) ms is not after the parent's \(parent.timeMillis) ms")
        }
        let latest = nowMillis.addingReportingOverflow(maxClockDriftMillis)
        guard latest.overflow || h.timeMillis <= latest.partialValue else {
            throw ProposalRejection(.timeTooFarAhead, "time \(h.timeMillis) ms is more than \(maxClockDriftMillis) ms ahead of "
                + "local time \(nowMillis) ms; check the proposer's and this host's clocks")
        }
        guard let validators = state.validatorSet(forHeight: h.height) else {
            preconditionFailure("no validator set for the next height \(h.height)")
        }
        guard h.validatorSetHash == validators.hash else {
            throw ProposalRejection(.validatorSetHashMismatch,
                                    "validator set hash \(h.validatorSetHash) is not the set for height \(h.height), \(validators.hash)")
        }
        guard validators.validator(h.proposer) != nil else {
            throw ProposalRejection(.proposerNotValidator, "proposer \(h.proposer) is not a validator at height \(h.height)")
        }
    }

    /// The limits, the count, the transactions root and the evidence root.
    func checkBody(_ block: Block) throws(ProposalRejection) {
        let count = max(block.transactions.count, Int(block.header.transactionCount))
        guard count <= maxTransactionsPerBlock else {
            throw ProposalRejection(.tooManyTransactions, "\(count) transactions, more than maxTransactionsPerBlock \(maxTransactionsPerBlock)")
        }
        let bytes = block.transactions.reduce(0) { $0 + $1.encodedSize }
        guard bytes <= maxBlockBytes else {
            throw ProposalRejection(.tooManyBytes, "\(bytes) bytes of transactions, more than maxBlockBytes \(maxBlockBytes)")
        }
        guard block.evidence.count <= LedgerLimits.maxEvidencePerBlock else {
            throw ProposalRejection(.tooMuchEvidence,
                                    "\(block.evidence.count) evidence items, more than maxEvidencePerBlock \(LedgerLimits.maxEvidencePerBlock)")
        }
        do { try block.checkRoots() } catch {
            let code: ProposalRejection.Code = switch error.code {
            case .transactionCountMismatch: .transactionCountMismatch
            case .evidenceRootMismatch: .evidenceRootMismatch
            case .payloadMismatch: .invalidTransaction
            default: .transactionsRootMismatch
            }
            throw ProposalRejection(code, error.message)
        }
    }

    /// Every evidence item must be recordable at the block's height on top of `state`.
    func checkEvidence(_ block: Block, state: LedgerState) throws(ProposalRejection) {
        guard let bad = state.validateEvidence(block.evidence, atHeight: block.header.height) else { return }
        throw ProposalRejection(.invalidEvidence, "evidence item \(bad.index) is refused: \(bad.rejection)",
                                refusedEvidence: bad.rejection)
    }

    /// Records the (checked) evidence and applies the transactions in order; each must be
    /// accepted and the state root must match.
    func execute(_ block: Block, state: LedgerState, signaturesVerified: (SignedTransaction) -> Bool = { _ in false },
                 committed: Bool = false) throws(ProposalRejection) -> ExecutedBlock {
        var next = state
        let outcomes = next.applyBlock(block.transactions, height: block.header.height, evidence: block.evidence,
                                       signaturesVerified: signaturesVerified, committed: committed)
        for o in outcomes {
            if case .failure(let rejection) = o.result {
                throw ProposalRejection(.invalidTransaction, "transaction \(o.index) (\(o.transactionID)) is refused: \(rejection)",
                                        refusedTransaction: o)
            }
        }
        guard next.stateRoot == block.header.stateRoot else {
            throw ProposalRejection(.stateRootMismatch,
                                    "state root \(block.header.stateRoot) is not the root after the block, \(next.stateRoot)")
        }
        return ExecutedBlock(block: block, state: next, outcomes: outcomes)
    }
}
