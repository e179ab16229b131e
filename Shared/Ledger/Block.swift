import CityEncoding
import CityMerkle

/// A header and the transactions and equivocation evidence it commits to.
@MemberwiseInit
package struct Block: Hashable, Sendable, CanonicalCodable {
    /// The header.
    package var header: BlockHeader
    /// The transactions in execution order.
    package var transactions: [SignedTransaction]
    /// Equivocation evidence recorded by this block (at most `LedgerLimits.maxEvidencePerBlock`).
    package var evidence: [Equivocation] = []

    /// `MerkleTree.root` over each transaction's `leafBytes`: body and signatures (so a certified
    /// header also fixes who co-signed), not the detached payload the body commits to by hash.
    package static func transactionsRoot(_ transactions: [SignedTransaction]) -> Hash32 {
        MerkleTree.root(leaves: transactions.map(\.leafBytes))
    }

    /// `MerkleTree.root` over each evidence item's canonical bytes, the same tree as the transactions'.
    package static func evidenceRoot(_ evidence: [Equivocation]) -> Hash32 {
        MerkleTree.root(leaves: evidence.map(\.canonicalBytes))
    }

    /// The evidence root of a block without evidence (`MerkleTree.emptyRoot`).
    package static let noEvidenceRoot = MerkleTree.emptyRoot

    /// Throws `.transactionCountMismatch` unless the header's `transactionCount` is the number of
    /// transactions, `.transactionsRootMismatch` unless its transactions root matches them, then
    /// `.evidenceRootMismatch` unless its evidence root matches the evidence, then
    /// `.payloadMismatch` unless every payload present hashes to its body's `payloadHash` (the root
    /// covers bodies, not payloads, so a payload is checked against its body).
    package func checkRoots() throws(LedgerError) {
        guard Int(header.transactionCount) == transactions.count else {
            throw LedgerError(.transactionCountMismatch,
                              "header says \(header.transactionCount) transactions but the block holds \(transactions.count); refetch the block")
        }
        let actual = Self.transactionsRoot(transactions)
        guard actual == header.transactionsRoot else {
            throw LedgerError(.transactionsRootMismatch,
                              "header says \(header.transactionsRoot) but the transactions hash to \(actual); refetch the block")
        }
        let evidence = Self.evidenceRoot(evidence)
        guard evidence == header.evidenceRoot else {
            throw LedgerError(.evidenceRootMismatch,
                              "header says evidence root \(header.evidenceRoot) but the evidence hashes to \(evidence); refetch the block")
        }
        for (i, tx) in transactions.enumerated() {
            if let why = tx.payloadMismatch {
                throw LedgerError(.payloadMismatch, "transaction \(i) (\(tx.id)): \(why); refetch the block from another peer")
            }
        }
    }

    /// The former name of `checkRoots`, kept for its callers: it checks the evidence root too.
    package func checkTransactionsRoot() throws(LedgerError) { try checkRoots() }

    /// Proof that the transaction at `index` is in this block, for `BlockHeader.verifyInclusion`;
    /// nil when `index` is not a position in `transactions`.
    package func inclusionProof(forTransactionAt index: Int) -> InclusionProof? {
        guard transactions.indices.contains(index) else { return nil }
        return MerkleTree.proof(leaves: transactions.map(\.leafBytes), index: index)
    }

    package func encode(to w: inout CanonicalWriter) {
        w.encode(header)
        w.array(transactions)
        w.array(evidence)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        header = try BlockHeader(from: &r)
        transactions = try r.array(max: LedgerLimits.maxTransactionsPerBlock, "Block.transactions")
        evidence = try r.array(max: LedgerLimits.maxEvidencePerBlock, "Block.evidence")
    }
}
