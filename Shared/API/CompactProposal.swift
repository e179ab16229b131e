import CityConsensus
import CityEncoding
import CityLedger

/// A block proposal without the transactions its followers already hold (issue 13 item 2): the
/// header, the evidence, each transaction's id in block order, and the proposer's signature, which
/// is the full proposal's (it signs the block's id, the header hash, which commits to the
/// transactions root). A follower takes the transactions from its mempool, fetches the ones it
/// lacks from the proposer (`ValidatorAPI.proposalTransactions`), checks the header's transaction
/// count and root against what it assembled, and only then hands the full proposal to consensus.
///
/// Encoding: u64 height, u32 round, optional u32 validRound, BlockHeader header,
/// array<Equivocation> evidence (≤ 64), array<TransactionID> transactionIDs (≤ 10,000),
/// PublicKey proposer, Signature signature.
package struct CompactProposal: Hashable, Sendable, CanonicalCodable {
    package var height: UInt64
    package var round: UInt32
    package var validRound: UInt32?
    package var header: BlockHeader
    package var evidence: [Equivocation]
    /// The block's transactions by id, in block order.
    package var transactionIDs: [TransactionID]
    package var proposer: PublicKey
    package var signature: Signature

    /// The compact form of `p`.
    package init(_ p: Proposal<Block>) {
        height = p.height
        round = p.round
        validRound = p.validRound
        header = p.value.header
        evidence = p.value.evidence
        transactionIDs = p.value.transactions.map(\.id)
        proposer = p.proposer
        signature = p.signature
    }

    /// The block's id (the header hash): what the proposer signed.
    package var blockHash: Hash32 { header.hash }

    /// True when the proposer's signature verifies for `chainID` (the core checks who may propose).
    package func verify(chainID: String) -> Bool {
        SignedProposalHeader(height: height, round: round, validRound: validRound, valueID: blockHash,
                             proposer: proposer, signature: signature).verify(chainID: chainID)
    }

    /// The full proposal with `transactions` in place of the ids, or why they do not make this
    /// block: one per id, each with that id, and the header's count and transactions root theirs.
    package func assemble(_ transactions: [SignedTransaction]) -> Result<Proposal<Block>, CompactBlockError> {
        guard transactions.count == transactionIDs.count, zip(transactions, transactionIDs).allSatisfy({ $0.id == $1 }) else {
            return .failure(CompactBlockError("the transactions do not match the proposal's \(transactionIDs.count) ids"))
        }
        let block = Block(header: header, transactions: transactions, evidence: evidence)
        do { try block.checkRoots() } catch {
            return .failure(CompactBlockError("the assembled block does not match its header: \(error.message)"))
        }
        return .success(Proposal(height: height, round: round, validRound: validRound, value: block, proposer: proposer, signature: signature))
    }

    package func encode(to w: inout CanonicalWriter) {
        w.u64(height)
        w.u32(round)
        w.optional(validRound) { w, r in w.u32(r) }
        w.encode(header)
        w.array(evidence)
        w.array(transactionIDs)
        w.encode(proposer)
        w.encode(signature)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        height = try r.u64("CompactProposal.height")
        round = try r.u32("CompactProposal.round")
        validRound = try r.optional("CompactProposal.validRound") { (r: inout CanonicalReader) throws(CodecError) in
            try r.u32("CompactProposal.validRound")
        }
        header = try BlockHeader(from: &r)
        evidence = try r.array(max: LedgerLimits.maxEvidencePerBlock, "CompactProposal.evidence")
        transactionIDs = try r.array(max: LedgerLimits.maxTransactionsPerBlock, "CompactProposal.transactionIDs")
        proposer = try PublicKey(from: &r)
        signature = try Signature(from: &r)
        if let vr = validRound, vr >= round {
            throw CodecError(.invalidValue, field: "CompactProposal.validRound", "\(vr) is not below the round \(round)")
        }
        guard Int(header.transactionCount) == transactionIDs.count else {
            throw CodecError(.invalidValue, field: "CompactProposal.transactionIDs",
                             "\(transactionIDs.count) ids for a header of \(header.transactionCount) transactions")
        }
    }
}

/// Why a compact proposal could not be made whole (the follower does not prevote for it).
package struct CompactBlockError: Error, Hashable, Sendable, CustomStringConvertible {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}

/// A follower's request for the transactions of a proposed block it lacks, by position.
///
/// Encoding: Hash32 blockHash, array<u32> indexes (1 … 10,000, ascending, each below the block's
/// transaction count).
package struct ProposalTransactionsRequest: Hashable, Sendable, CanonicalCodable {
    package var blockHash: Hash32
    package var indexes: [UInt32]

    package init(blockHash: Hash32, indexes: [UInt32]) {
        self.blockHash = blockHash
        self.indexes = indexes
    }

    package func encode(to w: inout CanonicalWriter) {
        w.encode(blockHash)
        w.array(indexes) { w, i in w.u32(i) }
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        blockHash = try Hash32(from: &r)
        indexes = try r.array(max: LedgerLimits.maxTransactionsPerBlock, "ProposalTransactionsRequest.indexes") {
            (r: inout CanonicalReader) throws(CodecError) in try r.u32("ProposalTransactionsRequest.index")
        }
        guard !indexes.isEmpty, zip(indexes, indexes.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw CodecError(.invalidValue, field: "ProposalTransactionsRequest.indexes", "name at least one position, in ascending order, each once")
        }
    }
}

/// The transactions asked for, in the order of the request's indexes.
///
/// Encoding: array<SignedTransaction> (≤ 10,000).
package struct ProposalTransactions: Hashable, Sendable, CanonicalCodable {
    package var transactions: [SignedTransaction]

    package init(transactions: [SignedTransaction]) { self.transactions = transactions }

    package func encode(to w: inout CanonicalWriter) { w.array(transactions) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        transactions = try r.array(max: LedgerLimits.maxTransactionsPerBlock, "ProposalTransactions.transactions")
    }
}
