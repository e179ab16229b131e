import CityEncoding
import CityMerkle

/// A header and the transactions it commits to.
package struct Block: Hashable, Sendable, CanonicalCodable {
    /// The header.
    package var header: BlockHeader
    /// The transactions in execution order.
    package var transactions: [SignedTransaction]

    /// A block from its parts (call `checkTransactionsRoot` before trusting it).
    package init(header: BlockHeader, transactions: [SignedTransaction]) {
        self.header = header
        self.transactions = transactions
    }

    /// `MerkleTree.root` over each transaction's canonical bytes (signatures included, so a
    /// certified header also fixes who co-signed).
    package static func transactionsRoot(_ transactions: [SignedTransaction]) -> Hash32 {
        MerkleTree.root(leaves: transactions.map(\.canonicalBytes))
    }

    /// Throws `.transactionCountMismatch` unless the header's `transactionCount` is the number of
    /// transactions, then `.transactionsRootMismatch` unless its root matches them.
    package func checkTransactionsRoot() throws(LedgerError) {
        guard Int(header.transactionCount) == transactions.count else {
            throw LedgerError(.transactionCountMismatch,
                              "header says \(header.transactionCount) transactions but the block holds \(transactions.count); refetch the block")
        }
        let actual = Self.transactionsRoot(transactions)
        guard actual == header.transactionsRoot else {
            throw LedgerError(.transactionsRootMismatch,
                              "header says \(header.transactionsRoot) but the transactions hash to \(actual); refetch the block")
        }
    }

    /// Proof that the transaction at `index` is in this block, for `BlockHeader.verifyInclusion`;
    /// nil when `index` is not a position in `transactions`.
    package func inclusionProof(forTransactionAt index: Int) -> InclusionProof? {
        guard transactions.indices.contains(index) else { return nil }
        return MerkleTree.proof(leaves: transactions.map(\.canonicalBytes), index: index)
    }

    package func encode(to w: inout CanonicalWriter) {
        w.encode(header)
        w.array(transactions)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        header = try BlockHeader(from: &r)
        transactions = try r.array(max: LedgerLimits.maxTransactionsPerBlock, "Block.transactions")
    }
}
