import Synchronization

/// The bytes of unfinished frames a server holds across all its connections (issue 17 item 2):
/// each connection's `FrameLengthGuard` charges what it buffers of a frame not yet whole and
/// releases it when the frame is out or the connection ends. A connection whose next bytes would
/// pass the limit is answered `unavailable` and closed, so many slow senders of large frames
/// cannot hold more than `limit` bytes between them (each alone is held to one frame,
/// `maxFrameBytes`, and to `frameReadTimeout`).
package final class FrameBudget: Sendable {
    /// Most bytes of unfinished frames held at once.
    package let limit: Int
    private let used = Atomic<Int>(0)

    /// A budget of `limit` bytes.
    package init(limit: Int) {
        precondition(limit > 0, "a frame budget must be positive")
        self.limit = limit
    }

    /// Takes `bytes` more, or returns false (taking nothing) when that would pass the limit.
    package func charge(_ bytes: Int) -> Bool {
        let now = used.add(bytes, ordering: .relaxed).newValue
        guard now > limit else { return true }
        used.subtract(bytes, ordering: .relaxed)
        return false
    }

    /// Gives back `bytes` charged before.
    package func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        used.subtract(bytes, ordering: .relaxed)
    }

    /// Bytes held now.
    package var held: Int { used.load(ordering: .relaxed) }
}

/// A connection closed by the server's guard of unfinished frames: its `wire` error is answered,
/// and it is counted as a refusal of `reason` (`frame`: not whole in time; `buffers`: the budget).
package struct UnfinishedFrameRefusal: Error {
    package let wire: WireError
    package let reason: String
}
