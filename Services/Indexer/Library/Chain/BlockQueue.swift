import CityChainAPI

/// Verified blocks between the reader (the commit stream) and the writer (PostgreSQL): bounded, so
/// a slow database slows the stream instead of filling memory, and drained in batches, so catching
/// up writes hundreds of blocks per transaction while live blocks are written one by one at once.
actor BlockQueue {
    struct Item: Sendable {
        var block: CertifiedBlock
        /// The chain position after this block.
        var tracker: ChainTracker
    }

    private var items: [Item] = []
    private let capacity: Int
    private var takers: [CheckedContinuation<Void, Never>] = []
    private var putters: [CheckedContinuation<Void, Never>] = []

    init(capacity: Int) { self.capacity = capacity }

    /// Appends, waiting while the queue is full; throws `CancellationError` when cancelled.
    func put(_ item: Item) async throws {
        while items.count >= capacity {
            try Task.checkCancellation()
            await withTaskCancellationHandler {
                await withCheckedContinuation { c in if Task.isCancelled { c.resume() } else { putters.append(c) } }
            } onCancel: {
                Task { await self.wakeAll() }
            }
        }
        items.append(item)
        for t in takers { t.resume() }
        takers.removeAll()
    }

    /// Everything queued, up to `max` items; waits while empty; throws `CancellationError` when cancelled.
    func take(max: Int) async throws -> [Item] {
        while items.isEmpty {
            try Task.checkCancellation()
            await withTaskCancellationHandler {
                await withCheckedContinuation { c in if Task.isCancelled { c.resume() } else { takers.append(c) } }
            } onCancel: {
                Task { await self.wakeAll() }
            }
        }
        let n = min(max, items.count)
        let out = Array(items.prefix(n))
        items.removeFirst(n)
        for p in putters { p.resume() }
        putters.removeAll()
        return out
    }

    private func wakeAll() {
        for c in takers + putters { c.resume() }
        takers.removeAll()
        putters.removeAll()
    }
}
