import CityChainAPI

/// A verified block and the chain position after it, queued for the writer.
struct QueuedBlock: Sendable {
    var block: CertifiedBlock
    /// The chain position after this block.
    var tracker: ChainTracker
}

/// A bounded queue between two stages of the indexer: the reader (the commit stream) and the
/// planner, and the planner and the writer (PostgreSQL). Bounded, so a slow database slows the
/// stream instead of filling memory; drained in batches, so catching up writes many blocks per
/// transaction while live blocks are written one by one at once.
actor BoundedQueue<Element: Sendable> {
    private var items: [Element] = []
    private let capacity: Int
    private var takers: [CheckedContinuation<Void, Never>] = []
    private var putters: [CheckedContinuation<Void, Never>] = []

    init(capacity: Int) { self.capacity = capacity }

    /// Appends, waiting while the queue is full; throws `CancellationError` when cancelled.
    func put(_ item: Element) async throws {
        while items.count >= capacity {
            try await wait(as: .putter)
        }
        items.append(item)
        for t in takers { t.resume() }
        takers.removeAll()
    }

    /// What is queued, up to `max` items and, after the first, up to `budget` in total `weight`;
    /// waits while empty; throws `CancellationError` when cancelled.
    func take(max: Int, budget: Int = .max, weight: (Element) -> Int = { _ in 1 }) async throws -> [Element] {
        while items.isEmpty {
            try await wait(as: .taker)
        }
        var n = 1
        var used = weight(items[0])
        while n < min(max, items.count) {
            let w = weight(items[n])
            guard used + w <= budget else { break }
            used += w
            n += 1
        }
        let out = Array(items.prefix(n))
        items.removeFirst(n)
        for p in putters { p.resume() }
        putters.removeAll()
        return out
    }

    private enum Waiter { case taker, putter }

    private func wait(as who: Waiter) async throws {
        try Task.checkCancellation()
        await withTaskCancellationHandler {
            await withCheckedContinuation { c in
                if Task.isCancelled { c.resume() } else if who == .taker { takers.append(c) } else { putters.append(c) }
            }
        } onCancel: {
            Task { await self.wakeAll() }
        }
    }

    private func wakeAll() {
        for c in takers + putters { c.resume() }
        takers.removeAll()
        putters.removeAll()
    }
}
