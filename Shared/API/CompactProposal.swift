import CityConsensus
import CityEncoding
import CityLedger

/// A block proposal without the transactions its followers already hold (issue 13 item 2): the
/// consensus proposal of the block's `CompactBlock` (header, evidence, each transaction's id in
/// block order) with the full proposal's signature, which is over the block's id, the header hash,
/// which commits to the transactions root. A follower takes the transactions from its mempool,
/// fetches the ones it lacks from the proposer (`ValidatorAPI.proposalTransactions`), checks the
/// header's transaction count and roots against what it assembled, and only then hands the full
/// proposal to consensus.
///
/// Encoding (`Proposal`'s): u64 height, u32 round, optional u32 validRound, CompactBlock,
/// PublicKey proposer, Signature signature.
package typealias CompactProposal = Proposal<CompactBlock>

/// A block by its transactions' ids; its id is the block's (the header hash).
///
/// Encoding: BlockHeader header, array<Equivocation> evidence (≤ 64), array<TransactionID>
/// transactionIDs (≤ 10,000, as many as the header counts).
package struct CompactBlock: ConsensusValue {
    package var header: BlockHeader
    package var evidence: [Equivocation]
    /// The block's transactions by id, in block order.
    package var transactionIDs: [TransactionID]

    /// The compact form of `block`.
    package init(_ block: Block) {
        header = block.header
        evidence = block.evidence
        transactionIDs = block.transactions.map(\.id)
    }

    /// The block's id: the header hash.
    package var id: Hash32 { header.hash }

    package func encode(to w: inout CanonicalWriter) {
        w.encode(header)
        w.array(evidence)
        w.array(transactionIDs)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        header = try BlockHeader(from: &r)
        evidence = try r.array(max: LedgerLimits.maxEvidencePerBlock, "CompactBlock.evidence")
        transactionIDs = try r.array(max: LedgerLimits.maxTransactionsPerBlock, "CompactBlock.transactionIDs")
        guard Int(header.transactionCount) == transactionIDs.count else {
            throw CodecError(.invalidValue, field: "CompactBlock.transactionIDs",
                             "\(transactionIDs.count) ids for a header of \(header.transactionCount) transactions")
        }
    }
}

extension Proposal where Value == CompactBlock {
    /// The compact form of `p`, with its signature.
    package init(compacting p: Proposal<Block>) {
        self.init(height: p.height, round: p.round, validRound: p.validRound, value: CompactBlock(p.value),
                  proposer: p.proposer, signature: p.signature)
    }

    /// The block's id (the header hash): what the proposer signed.
    package var blockHash: Hash32 { value.id }

    /// The block's transactions by id, in block order.
    package var transactionIDs: [TransactionID] { value.transactionIDs }

    /// The full proposal with `transactions` in place of the ids, or why they do not make this
    /// block: one per id, each with that id, and the header's count and roots theirs.
    package func assemble(_ transactions: [SignedTransaction]) -> Result<Proposal<Block>, CompactBlockError> {
        guard transactions.count == transactionIDs.count, zip(transactions, transactionIDs).allSatisfy({ $0.id == $1 }) else {
            return .failure(CompactBlockError("the transactions do not match the proposal's \(transactionIDs.count) ids"))
        }
        let block = Block(header: value.header, transactions: transactions, evidence: value.evidence)
        do { try block.checkRoots() } catch {
            return .failure(CompactBlockError("the assembled block does not match its header: \(error.message)"))
        }
        return .success(Proposal<Block>(height: height, round: round, validRound: validRound, value: block, proposer: proposer, signature: signature))
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
@MemberwiseInit
package struct ProposalTransactionsRequest: Hashable, Sendable, CanonicalCodable {
    package var blockHash: Hash32
    package var indexes: [UInt32]

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
@MemberwiseInit
package struct ProposalTransactions: Hashable, Sendable, CanonicalCodable {
    package var transactions: [SignedTransaction]

    package func encode(to w: inout CanonicalWriter) { w.array(transactions) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        transactions = try r.array(max: LedgerLimits.maxTransactionsPerBlock, "ProposalTransactions.transactions")
    }
}
