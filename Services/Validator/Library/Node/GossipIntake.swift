import CityChainAPI
import CityLedger

/// The receiving end of one peer's gossip, in two lanes (docs/PROTOCOL.md part 6, "Gossip lanes"):
/// each batch's consensus items (proposals, votes, evidence, heights) are verified (one signature
/// each) and handed to the node at once; its transactions go to a separate verification stage that
/// runs beside the reader, so a vote is never held up by the signature checks of transactions that
/// arrived before it. The stage holds at most `maxPendingBatches` batches; beyond that new
/// transaction batches are dropped and counted (the sender's mempool still holds them, and a block
/// that needs them carries them). `run` drives both with the closures the engine wires to the node.
package struct GossipIntake: Sendable {
    /// Transaction batches waiting for verification before new ones are dropped.
    package let maxPendingBatches: Int

    /// An intake with a bounded transaction stage.
    package init(maxPendingBatches: Int = 8) {
        precondition(maxPendingBatches > 0, "the transaction stage holds at least one batch")
        self.maxPendingBatches = maxPendingBatches
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
    /// batch arrives and transactions to `transactions` from a concurrent stage. Returns the number
    /// of transaction batches dropped because the stage was full.
    package func run<S: AsyncSequence & Sendable>(
        _ batches: S,
        consensus: @escaping @Sendable ([GossipItem]) async -> Void,
        transactions: @escaping @Sendable ([SignedTransaction]) async -> Void
    ) async throws -> Int where S.Element == GossipBatch {
        let (stage, input) = AsyncStream.makeStream(of: [SignedTransaction].self, bufferingPolicy: .bufferingOldest(maxPendingBatches))
        return try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                for await txs in stage { await transactions(txs) }
                return 0
            }
            group.addTask {
                defer { input.finish() }
                var dropped = 0
                for try await batch in batches {
                    let (items, txs) = Self.split(batch.items)
                    if !items.isEmpty { await consensus(items) }
                    if !txs.isEmpty, case .dropped = input.yield(txs) { dropped += 1 }
                }
                return dropped
            }
            var dropped = 0
            for try await n in group { dropped += n }
            return dropped
        }
    }
}
