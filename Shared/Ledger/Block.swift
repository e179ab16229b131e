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

    /// Throws `.transactionsRootMismatch` unless the header's root matches the transactions.
    package func checkTransactionsRoot() throws(LedgerError) {
        let actual = Self.transactionsRoot(transactions)
        guard actual == header.transactionsRoot else {
            throw LedgerError(.transactionsRootMismatch,
                              "header says \(header.transactionsRoot) but the transactions hash to \(actual); refetch the block")
        }
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
