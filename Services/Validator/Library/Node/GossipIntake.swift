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
    /// batch arrives and transactions to `transactions` from a concurrent stage. Returns the number
    /// of transaction batches dropped because the stage was full.
    package func run<S: AsyncSequence & Sendable>(
        _ batches: S,
        consensus: @escaping @Sendable ([GossipItem]) async -> Void,
        transactions: @escaping @Sendable ([SignedTransaction]) async -> Void
    ) async throws -> Int where S.Element == GossipBatch {
        try await run(batches, consensus: { items, _ in await consensus(items) }, transactions: transactions)
    }

    /// As `run(_:consensus:transactions:)`, and each consensus hand-over also gets the point in the
    /// transaction stage it arrived at: `TransactionsBefore.wait()` returns once every transaction
    /// that arrived before those items went through the stage (a compact proposal waits for the
    /// transactions its proposer sent ahead of it; a vote never waits).
    package func run<S: AsyncSequence & Sendable>(
        _ batches: S,
        consensus: @escaping @Sendable ([GossipItem], TransactionsBefore) async -> Void,
        transactions: @escaping @Sendable ([SignedTransaction]) async -> Void
    ) async throws -> Int where S.Element == GossipBatch {
        let (stage, input) = AsyncStream.makeStream(of: [SignedTransaction].self)
        let progress = StageProgress()
        return try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                defer { progress.finish() }
                for await txs in stage {
                    await transactions(txs)
                    progress.pending.subtract(txs.count, ordering: .relaxed)
                    progress.advance()
                }
                return 0
            }
            group.addTask {
                defer { input.finish() }
                var dropped = 0, queued = 0
                for try await batch in batches {
                    let (items, txs) = Self.split(batch.items)
                    if !txs.isEmpty {
                        if progress.pending.load(ordering: .relaxed) + txs.count > maxPendingTransactions {
                            dropped += 1
                        } else {
                            progress.pending.add(txs.count, ordering: .relaxed)
                            input.yield(txs)
                            queued += 1
                        }
                    }
                    if !items.isEmpty { await consensus(items, TransactionsBefore(progress: progress, count: queued)) }
                }
                return dropped
            }
            var dropped = 0
            for try await n in group { dropped += n }
            return dropped
        }
    }
}

/// A point in one intake's transaction stage: the batches queued before some consensus items.
package struct TransactionsBefore: Sendable {
    let progress: StageProgress
    let count: Int

    /// Returns once those batches went through the stage (at once if they have, or the stage ended).
    package func wait() async { await progress.wait(until: count) }
}

/// How many batches a transaction stage has handled, and who waits for a count.
final class StageProgress: Sendable {
    private struct State {
        var done = 0
        var finished = false
        var waiters: [(count: Int, wake: CheckedContinuation<Void, Never>)] = []
    }
    private let state = Mutex(State())
    /// Transactions handed to the stage and not yet through it.
    let pending = Atomic<Int>(0)

    /// One more batch handled.
    func advance() {
        let ready = state.withLock { s in
            s.done += 1
            let done = s.done
            defer { s.waiters.removeAll { $0.count <= done } }
            return s.waiters.filter { $0.count <= done }.map(\.wake)
        }
        for w in ready { w.resume() }
    }

    /// The stage ended: every waiter goes on.
    func finish() {
        let all = state.withLock { s in
            s.finished = true
            defer { s.waiters = [] }
            return s.waiters.map(\.wake)
        }
        for w in all { w.resume() }
    }

    /// Returns once `count` batches were handled or the stage ended.
    func wait(until count: Int) async {
        await withCheckedContinuation { (wake: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.finished || s.done >= count { return true }
                s.waiters.append((count, wake))
                return false
            }
            if now { wake.resume() }
        }
    }
}
