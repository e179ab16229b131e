import CityChainAPI
import CityLedger
import Synchronization

/// What one gossip subscriber has yet to receive, in two lanes (docs/PROTOCOL.md part 6, "Gossip
/// lanes"): consensus items (proposals, votes, evidence, height announcements) and transactions.
/// `take` hands out the consensus lane first, so a vote never waits behind a burst of transactions;
/// each lane is bounded and drops its own oldest items when a slow peer falls behind (consensus
/// re-sends what matters, block sync covers the rest), so transactions never push out a vote.
/// A wake-up signal tells the stream handler to drain it.
package final class GossipOutbox: Sendable {
    /// Transactions kept for one subscriber before the oldest are dropped.
    package let maxQueuedItems: Int
    /// Consensus items kept before the oldest are dropped (far above what one height produces).
    package let maxQueuedConsensusItems: Int
    private struct Queue {
        var consensus: [GossipItem] = []
        var transactions: [GossipItem] = []
        var dropped = 0
        var closed = false
    }
    private let queue = Mutex(Queue())
    private let signal: AsyncStream<Void>.Continuation
    /// Fires (coalesced) whenever items were queued; ends when the outbox is closed.
    package let wakeups: AsyncStream<Void>

    /// An empty outbox holding at most `maxQueuedItems` transactions and `maxQueuedConsensusItems` others.
    package init(maxQueuedItems: Int, maxQueuedConsensusItems: Int = 4096) {
        precondition(maxQueuedItems > 0 && maxQueuedConsensusItems > 0, "an outbox holds at least one item per lane")
        self.maxQueuedItems = maxQueuedItems
        self.maxQueuedConsensusItems = maxQueuedConsensusItems
        (wakeups, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `items`, each in its lane, dropping a lane's oldest beyond its bound.
    package func push(_ items: [GossipItem]) {
        let accepted = queue.withLock { q -> Bool in
            guard !q.closed else { return false }
            for item in items {
                if case .transaction = item { q.transactions.append(item) } else { q.consensus.append(item) }
            }
            q.dropped += Self.trim(&q.transactions, to: maxQueuedItems) + Self.trim(&q.consensus, to: maxQueuedConsensusItems)
            return true
        }
        if accepted { signal.yield() }
    }

    /// Queues a compact proposal in the consensus lane behind those of the queued transactions it
    /// carries (`ids`): they leave before it, so the subscriber holds them when the proposal
    /// arrives and fetches only what it never received. Other queued transactions keep their lane.
    package func push(_ proposal: CompactProposal, carrying ids: Set<TransactionID>) {
        let accepted = queue.withLock { q -> Bool in
            guard !q.closed else { return false }
            var carried: [GossipItem] = []
            q.transactions.removeAll { item in
                guard case .transaction(let tx) = item, ids.contains(tx.id) else { return false }
                carried.append(item)
                return true
            }
            q.consensus += carried
            q.consensus.append(.compactProposal(proposal))
            q.dropped += Self.trim(&q.consensus, to: maxQueuedConsensusItems + carried.count)
            return true
        }
        if accepted { signal.yield() }
    }

    private static func trim(_ lane: inout [GossipItem], to bound: Int) -> Int {
        let excess = lane.count - bound
        guard excess > 0 else { return 0 }
        lane.removeFirst(excess)
        return excess
    }

    /// Takes at most `maxItems` queued items, every consensus item before any transaction, with the
    /// number of items dropped since the last take.
    package func take(maxItems: Int = .max) -> (items: [GossipItem], dropped: Int) {
        precondition(maxItems > 0, "take at least one item")
        return queue.withLock { q in
            defer { q.dropped = 0 }
            let fromConsensus = min(maxItems, q.consensus.count)
            var items = Array(q.consensus.prefix(fromConsensus))
            q.consensus.removeFirst(fromConsensus)
            let fromTransactions = min(maxItems - fromConsensus, q.transactions.count)
            items += q.transactions.prefix(fromTransactions)
            q.transactions.removeFirst(fromTransactions)
            return (items, q.dropped)
        }
    }

    /// Items queued now, in both lanes.
    package var count: Int { queue.withLock { $0.consensus.count + $0.transactions.count } }

    /// Ends the wake-ups; later pushes are ignored.
    package func close() {
        queue.withLock { $0.closed = true }
        signal.finish()
    }
}

/// The subscribers of this validator's gossip: everything it broadcasts is pushed to each one.
package final class GossipHub: Sendable {
    private let outboxes = Mutex<[UInt64: GossipOutbox]>([:])
    private let nextID = Atomic<UInt64>(0)
    /// Items kept per subscriber.
    package let maxQueuedItems: Int

    /// A hub whose subscribers each hold at most `maxQueuedItems`.
    package init(maxQueuedItems: Int = 16_384) { self.maxQueuedItems = maxQueuedItems }

    /// A new subscriber's outbox and the id to remove it with.
    package func subscribe() -> (id: UInt64, outbox: GossipOutbox) {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let box = GossipOutbox(maxQueuedItems: maxQueuedItems)
        outboxes.withLock { $0[id] = box }
        return (id, box)
    }

    /// Removes and closes subscriber `id`.
    package func unsubscribe(_ id: UInt64) {
        outboxes.withLock { $0.removeValue(forKey: id) }?.close()
    }

    /// Sends `items` to every subscriber.
    package func publish(_ items: [GossipItem]) {
        guard !items.isEmpty else { return }
        for box in outboxes.withLock({ Array($0.values) }) { box.push(items) }
    }

    /// Sends a compact proposal to every subscriber, behind the queued transactions it carries.
    package func publishProposal(_ proposal: CompactProposal, carrying ids: Set<TransactionID>) {
        for box in outboxes.withLock({ Array($0.values) }) { box.push(proposal, carrying: ids) }
    }

    /// Closes every subscriber (shutdown): their stream handlers return and the server can drain.
    package func closeAll() {
        for box in outboxes.withLock({ o in defer { o.removeAll() }; return Array(o.values) }) { box.close() }
    }

    /// Subscribers connected now.
    package var count: Int { outboxes.withLock { $0.count } }
}
