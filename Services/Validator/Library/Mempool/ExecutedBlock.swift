import CityLedger

/// A block with the state after applying it and each transaction's outcome: what the proposer
/// built or what a validator checked, ready to vote on and, once certified, to store.
package struct ExecutedBlock: Sendable {
    /// The block.
    package var block: Block
    /// The state after the block (its root is `block.header.stateRoot`).
    package var state: LedgerState
    /// One outcome per transaction, in block order (all applied: a proposal with a refused
    /// transaction is not valid).
    package var outcomes: [TxOutcome]

    /// An executed block from its parts.
    package init(block: Block, state: LedgerState, outcomes: [TxOutcome]) {
        precondition(block.header.stateRoot == state.stateRoot, "executed block's state root differs from its state")
        precondition(outcomes.count == block.transactions.count, "one outcome per transaction")
        self.block = block
        self.state = state
        self.outcomes = outcomes
    }
}
