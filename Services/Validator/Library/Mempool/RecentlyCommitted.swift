import CityLedger
import CityNode

/// The ids of the last `capacity` committed transactions with their heights, oldest evicted
/// first: lets a resubmission of a committed transaction be answered as committed.
package struct RecentlyCommitted: Sendable {
    private var heights: BoundedFIFOMap<TransactionID, UInt64>

    /// An empty set remembering at most `capacity` ids.
    package init(capacity: Int) {
        precondition(capacity >= 1, "capacity must be at least 1")
        heights = BoundedFIFOMap(capacity: capacity)
    }

    /// Most ids remembered.
    package var capacity: Int { heights.capacity }

    /// How many ids are remembered.
    package var count: Int { heights.count }

    /// The height that committed `id`, if remembered.
    package func height(of id: TransactionID) -> UInt64? { heights[id] }

    /// Remembers `id` as committed at `height` (the first height stays), evicting the oldest id when full.
    package mutating func insert(_ id: TransactionID, height: UInt64) {
        guard heights[id] == nil else { return }
        heights.insert(height, for: id)
    }
}
