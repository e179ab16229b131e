import CityChainAPI
import CityLedger
import Synchronization

/// The receiving end of one peer's gossip, in two lanes (docs/PROTOCOL.md part 6, "Gossip lanes"):
/// each batch's consensus items (proposals, votes, evidence, heights) are verified (one signature
/// each) and handed to the node at once; its transactions go to a separate verification stage that
/// runs beside the reader, so a vote is never held up by the signature checks of transactions that
/// arrived before it. The stage holds at most `maxPendingTransactions` transactions (counted
/// until verified, so by transactions, not by batches: a batch may hold one or hundreds); a batch
/// beyond that is dropped and counted (the sender's mempool still holds its transactions, and a
/// follower of a compact proposal that needs them fetches them from the proposer). `run` drives
/// both with the closures the engine wires to the node.
package struct GossipIntake: Sendable {
    /// Transactions waiting for (or in) verification before new batches are dropped.
    package let maxPendingTransactions: Int

    /// An intake with a bounded transaction stage. 4,096 transactions: about a block and a half at
    /// saturation on a 2-core box; a stage of 8 batches (of a few transactions each under load)
    /// dropped most gossip at saturation, so followers fetched half of each block's transactions.
    package init(maxPendingTransactions: Int = 4096) {
        precondition(maxPendingTransactions > 0, "the transaction stage holds at least one transaction")
        self.maxPendingTransactions = maxPendingTransactions
    }

    /// A batch split into its lanes, order kept within each.
    package static func split(_ items: [GossipItem]) -> (consensus: [GossipItem], transactions: [SignedTransaction]) {
        var consensus: [GossipItem] = []
        var transactions: [SignedTransaction] = []
        for item in items {
            if case .transaction(let tx) = item { transactions.append(tx) } else { consensus.append(item) }
        }
        return (consensus, transactions)
    }

    /// Reads `batches` until they end (or throw), handing consensus items to `consensus` as each
    /// batch arrives and transactions to `transactions` from a concurrent stage. Transactions wait
    /// in `pending` (shared by every peer's intake) from arrival until the stage handed them on, so
    /// a compact proposal finds them there without waiting for the stage. Returns the number of
    /// transaction batches dropped because the stage was full.
    package func run<S: AsyncSequence & Sendable>(
        _ batches: S,
        pending: GossipPending = GossipPending(),
        consensus: @escaping @Sendable ([GossipItem]) async -> Void,
        transactions: @escaping @Sendable ([SignedTransaction]) async -> Void
    ) async throws -> Int where S.Element == GossipBatch {
        let (stage, input) = AsyncStream.makeStream(of: [SignedTransaction].self)
        let queued = StageCount()
        return try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                for await txs in stage {
                    await transactions(txs)
                    pending.remove(txs)
                    queued.count.subtract(txs.count, ordering: .relaxed)
                }
                return 0
            }
            group.addTask {
                defer { input.finish() }
                var dropped = 0
                for try await batch in batches {
                    let (items, txs) = Self.split(batch.items)
                    if !txs.isEmpty {
                        if queued.count.load(ordering: .relaxed) + txs.count > maxPendingTransactions {
                            dropped += 1
                        } else {
                            queued.count.add(txs.count, ordering: .relaxed)
                            pending.add(txs)
                            input.yield(txs)
                        }
                    }
                    if !items.isEmpty { await consensus(items) }
                }
                return dropped
            }
            var dropped = 0
            for try await n in group { dropped += n }
            return dropped
        }
    }
}

/// Transactions handed to one intake's stage and not yet through it.
final class StageCount: Sendable {
    let count = Atomic<Int>(0)
}

/// Gossiped transactions decoded but not yet through a verification stage, by id, across every
/// peer's intake (at most their stages' bounds). A compact proposal takes what its mempool lacks
/// from here (its signatures are then checked with the proposal's, on every core), so it waits
/// neither for the stage nor for a fetch.
package final class GossipPending: Sendable {
    private let byID = Mutex<[TransactionID: (tx: SignedTransaction, copies: Int)]>([:])

    package init() {}

    /// The pending transaction `id`, or nil.
    package subscript(id: TransactionID) -> SignedTransaction? { byID.withLock { $0[id]?.tx } }

    /// Transactions pending now.
    package var count: Int { byID.withLock { $0.count } }

    func add(_ txs: [SignedTransaction]) {
        byID.withLock { m in for tx in txs { m[tx.id, default: (tx, 0)].copies += 1 } }
    }

    func remove(_ txs: [SignedTransaction]) {
        byID.withLock { m in
            for tx in txs {
                guard let e = m[tx.id] else { continue }
                m[tx.id] = e.copies > 1 ? (e.tx, e.copies - 1) : nil
            }
        }
    }
}
