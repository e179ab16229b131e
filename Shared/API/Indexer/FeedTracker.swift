import CityLedger

/// A subscriber's side of a feed (pure): the cursor to resume from, and which events to hand on.
/// Across reconnections (to the same indexer or another) it drops anything at or before the cursor
/// already handled, so the changes handed on are in chain order, each once.
package struct FeedTracker: Sendable, Hashable {
    /// What to do with one event.
    package enum Step: Hashable, Sendable {
        /// A new change: hand it on (the cursor moved to it).
        case deliver(ProvenTransaction)
        /// A heartbeat moved the cursor.
        case advanced(ChainCursor)
        /// Already handled (at or before the cursor): drop it.
        case duplicate
        /// The feed ended; resume (`resumable`) from `cursor` or stop.
        case ended(FeedEnd)
    }

    /// The last position handled (nil: nothing yet, the start is `initial`).
    package private(set) var cursor: ChainCursor?
    /// Where the first subscription starts.
    package let initial: FeedStart
    /// Changes handed on.
    package private(set) var delivered = 0

    /// A tracker for a feed starting at `initial`.
    package init(initial: FeedStart) {
        self.initial = initial
        if case .after(let c) = initial { cursor = c }
    }

    /// Where the next subscription starts: after the cursor, or the initial start.
    package var start: FeedStart { cursor.map(FeedStart.after) ?? initial }

    /// Takes one event.
    package mutating func accept(_ event: FeedEvent) -> Step {
        switch event {
        case .change(let p):
            if let c = cursor, p.cursor <= c { return .duplicate }
            cursor = p.cursor
            delivered += 1
            return .deliver(p)
        case .heartbeat(let h):
            if let c = cursor, h <= c { return .duplicate }
            cursor = h
            return .advanced(h)
        case .end(let e):
            return .ended(e)
        }
    }
}
