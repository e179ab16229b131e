import CityChainAPI
import CityConsensus
import CityLedger
import CityWire
import CoreMetrics
import Logging

/// Makes a peer's compact proposal whole (issue 13 item 2): its transactions from this node's
/// mempool and from the gossip still being verified, the ones it lacks asked of the peer that sent it, on the gossip connection, within the
/// propose timeout. A proposal that cannot be made whole (the peer withholds, times out, or sends
/// transactions that do not make the block) is dropped: consensus then prevotes nil when its
/// propose timeout ends, and the next round's proposer tries again.
struct CompactFetch: Sendable {
    let connection: WireConnection
    let timeout: Duration
    let logger: Logger

    /// The full proposal, or nil (logged, counted) when it cannot be made whole.
    func complete(_ c: CompactProposal, node: ValidatorNode) async -> Proposal<Block>? {
        // The gossip still in verification first: a transaction leaves it only once in the mempool.
        let inVerification = c.transactionIDs.map { node.gossipPending[$0] }
        let held = zip(await node.transactions(for: c), inVerification).map { $0 ?? $1 }
        let missing = held.indices.filter { held[$0] == nil }
        do {
            if missing.isEmpty, case .success(let p) = c.assemble(held.map { $0! }) {
                Self.count("complete", fetched: 0)
                return p
            }
            // Missing ones, or all when what this node holds does not make the block (a transaction
            // with the same id and other co-signatures).
            let ask = missing.isEmpty ? Array(held.indices) : missing
            let got = try await fetch(ask, of: c)
            var txs = held
            for (i, tx) in zip(ask, got) { txs[i] = tx }
            switch c.assemble(txs.map { $0! }) {
            case .success(let p):
                Self.count("fetched", fetched: ask.count)
                return p
            case .failure(let e):
                throw e
            }
        } catch {
            Self.count("failed", fetched: 0)
            logger.notice("compact proposal not made whole; prevoting nil unless it comes again", metadata: [
                "chain.height": "\(c.height)", "consensus.round": "\(c.round)", "consensus.proposer": "\(c.proposer)",
                "peer.id": "\(connection.server)", "proposal.missing": "\(missing.count)", "error": "\(error)"])
            return nil
        }
    }

    private func fetch(_ indexes: [Int], of c: CompactProposal) async throws -> [SignedTransaction] {
        let request = ProposalTransactionsRequest(blockHash: c.blockHash, indexes: indexes.map { UInt32($0) })
        let answer = try ProposalTransactions(canonicalBytes: try await connection.request(
            ValidatorAPI.proposalTransactions, request.canonicalBytes, timeout: timeout))
        guard answer.transactions.count == indexes.count else {
            throw CompactBlockError("asked for \(indexes.count) transactions, got \(answer.transactions.count)")
        }
        return answer.transactions
    }

    private static func count(_ outcome: String, fetched: Int) {
        Counter(label: "citychain_validator_compact_proposals_total", dimensions: [("outcome", outcome)]).increment()
        if fetched > 0 { Counter(label: "citychain_validator_fetched_transactions_total").increment(by: Int64(fetched)) }
    }
}
