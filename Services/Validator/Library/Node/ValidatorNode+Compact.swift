import CityChainAPI
import CityLedger
import CityWire

extension ValidatorNode {
    /// What this node holds of a compact proposal's transactions, in block order (nil where it
    /// lacks one): the whole block when it proposed or validated it already, else its mempool.
    package func transactions(for proposal: CompactProposal) -> [SignedTransaction?] {
        if let block = proposedBlocks[proposal.blockHash] { return block.transactions }
        return proposal.transactionIDs.map { mempool.transaction($0) }
    }

    /// The transactions at `request.indexes` of a block this node proposed or validated lately;
    /// `notFound` when it holds no such block (it has moved on: the follower syncs the block instead).
    package func proposalTransactions(_ request: ProposalTransactionsRequest) throws(WireError) -> ProposalTransactions {
        guard settings.faults.servesProposalTransactions else {
            throw WireError(.unavailable, "this validator withholds its proposals' transactions (a test fault)")
        }
        guard let block = proposedBlocks[request.blockHash] else {
            throw WireError(.notFound, "no proposed block \(request.blockHash) here any more; sync the committed block instead")
        }
        guard let last = request.indexes.last, Int(last) < block.transactions.count else {
            throw WireError(.invalidRequest, "block \(request.blockHash) holds \(block.transactions.count) transactions; ask for positions below that")
        }
        return ProposalTransactions(transactions: request.indexes.map { block.transactions[Int($0)] })
    }
}
