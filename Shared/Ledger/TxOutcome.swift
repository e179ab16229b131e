/// The result of one transaction in a block.
package struct TxOutcome: Sendable {
    /// The transaction's id.
    package var transactionID: TransactionID
    /// Its position in the block.
    package var index: Int
    /// What it changed, or why it was refused (a refused transaction changes nothing).
    package var result: Result<TxEffect, Rejection>

    /// An outcome from its parts.
    package init(transactionID: TransactionID, index: Int, result: Result<TxEffect, Rejection>) {
        self.transactionID = transactionID
        self.index = index
        self.result = result
    }
}
