import CityLedger

/// The ids of the last `capacity` committed transactions with their heights, oldest evicted
/// first: lets a resubmission of a committed transaction be answered as committed.
package struct RecentlyCommitted: Sendable {
    /// Most ids remembered.
    package let capacity: Int
    /// id → height of the block that committed it.
    private var heights: [TransactionID: UInt64] = [:]
    /// Ring of ids in insertion order; `next` is the oldest slot once the ring is full.
    private var ring: [TransactionID] = []
    private var next = 0

    /// An empty set remembering at most `capacity` ids.
    package init(capacity: Int) {
        precondition(capacity >= 1, "capacity must be at least 1")
        self.capacity = capacity
    }

    /// How many ids are remembered.
    package var count: Int { heights.count }

    /// The height that committed `id`, if remembered.
    package func height(of id: TransactionID) -> UInt64? { heights[id] }

    /// Remembers `id` as committed at `height`, evicting the oldest id when full.
    package mutating func insert(_ id: TransactionID, height: UInt64) {
        guard heights[id] == nil else { return }
        heights[id] = height
        if ring.count < capacity {
            ring.append(id)
            return
        }
        heights.removeValue(forKey: ring[next])
        ring[next] = id
        next = (next + 1) % capacity
        assert(heights.count == capacity)
    }
}
