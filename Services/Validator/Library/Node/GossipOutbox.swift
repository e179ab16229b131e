import CityChainAPI
import Synchronization

/// What one gossip subscriber has yet to receive: a bounded queue (dropping the oldest items when
/// a slow peer falls behind, since consensus re-sends what matters and block sync covers the rest)
/// and a wake-up signal for the stream handler that drains it.
package final class GossipOutbox: Sendable {
    /// Items kept for one subscriber before the oldest are dropped.
    package let maxQueuedItems: Int
    private struct Queue {
        var items: [GossipItem] = []
        var dropped = 0
        var closed = false
    }
    private let queue = Mutex(Queue())
    private let signal: AsyncStream<Void>.Continuation
    /// Fires (coalesced) whenever items were queued; ends when the outbox is closed.
    package let wakeups: AsyncStream<Void>

    /// An empty outbox holding at most `maxQueuedItems`.
    package init(maxQueuedItems: Int) {
        precondition(maxQueuedItems > 0, "an outbox holds at least one item")
        self.maxQueuedItems = maxQueuedItems
        (wakeups, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `items`, dropping the oldest beyond the bound.
    package func push(_ items: [GossipItem]) {
        let accepted = queue.withLock { q -> Bool in
            guard !q.closed else { return false }
            q.items.append(contentsOf: items)
            let excess = q.items.count - maxQueuedItems
            if excess > 0 {
                q.items.removeFirst(excess)
                q.dropped += excess
            }
            return true
        }
        if accepted { signal.yield() }
    }

    /// Takes everything queued, with the number of items dropped since the last take.
    package func take() -> (items: [GossipItem], dropped: Int) {
        queue.withLock { q in
            defer { q.items.removeAll(keepingCapacity: true); q.dropped = 0 }
            return (q.items, q.dropped)
        }
    }

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

    /// Closes every subscriber (shutdown): their stream handlers return and the server can drain.
    package func closeAll() {
        for box in outboxes.withLock({ o in defer { o.removeAll() }; return Array(o.values) }) { box.close() }
    }

    /// Subscribers connected now.
    package var count: Int { outboxes.withLock { $0.count } }
}
