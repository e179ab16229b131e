import CityLedger

/// Why a proposed block is not `valid(v)` (CONSENSUS.md): the validator prevotes nil. Says what
/// was wrong; a correct proposer never causes one, so the proposer is faulty or its clock is off.
package struct ProposalRejection: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong.
    package enum Code: UInt16, Hashable, Sendable {
        /// The header names another chain.
        case wrongChain = 1
        /// The height is not the parent's plus one.
        case wrongHeight
        /// `previousHash` is not the parent's hash.
        case wrongPreviousHash
        /// The time is not after the parent's.
        case timeNotAfterParent
        /// The time is further ahead of local time than `maxClockDriftMillis`.
        case timeTooFarAhead
        /// The proposer is not in the validator set for this height.
        case proposerNotValidator
        /// More transactions than `maxTransactionsPerBlock`.
        case tooManyTransactions
        /// More transaction bytes than `maxBlockBytes`.
        case tooManyBytes
        /// The header's `transactionCount` is not the number of transactions.
        case transactionCountMismatch
        /// The header's `transactionsRoot` does not match the transactions.
        case transactionsRootMismatch
        /// A transaction is refused by the ledger at its place in the block.
        case invalidTransaction
        /// The header's `stateRoot` is not the root after applying the block.
        case stateRootMismatch
        /// The header's `validatorSetHash` is not the hash of the set for this height.
        case validatorSetHashMismatch
        /// More evidence items than `LedgerLimits.maxEvidencePerBlock`.
        case tooMuchEvidence
        /// The header's `evidenceRoot` does not match the evidence.
        case evidenceRootMismatch
        /// An evidence item is refused by the ledger (`LedgerState.validateEvidence`).
        case invalidEvidence
    }

    /// What was wrong.
    package var code: Code
    /// The values that disagree.
    package var detail: String
    /// For `.invalidTransaction`: the refused transaction's id, index and rejection.
    package var refusedTransaction: TxOutcome?
    /// For `.invalidEvidence`: why the ledger refuses the item (its index is in `detail`).
    package var refusedEvidence: Rejection?

    /// A rejection from its parts.
    package init(_ code: Code, _ detail: String, refusedTransaction: TxOutcome? = nil, refusedEvidence: Rejection? = nil) {
        self.code = code
        self.detail = detail
        self.refusedTransaction = refusedTransaction
        self.refusedEvidence = refusedEvidence
    }

    /// What was wrong and what to do, for logs and error frames.
    package var description: String { "proposal refused (\(code)): \(detail)" }
}
