import CityChainAPI

/// Where one feed stands on the indexer (pure): `delivered` is the last cursor handed to the
/// subscriber's buffer (what an end tells it to resume after), `scanned` how far the index has been
/// read for it. They differ when nothing matched since the last change: a heartbeat then hands
/// `scanned` over, so a quiet filtered feed still advances its cursor.
package struct FeedProgress: Sendable, Hashable {
    package private(set) var delivered: ChainCursor
    package private(set) var scanned: ChainCursor

    /// The position of a feed starting at `start` when the visible (proven) height is `visibleHeight`.
    package init(start: FeedStart, visibleHeight: UInt64) {
        let c: ChainCursor = switch start {
        case .beginning: .start
        case .now: .endOf(height: visibleHeight)
        case .after(let c): c
        }
        delivered = c
        scanned = c
    }

    /// Whether the index above `scanned` up to `visibleHeight` is still to be read.
    package func behind(visibleHeight: UInt64) -> Bool { scanned < .endOf(height: visibleHeight) }

    /// A change at `cursor` went to the buffer (it must come after everything scanned).
    package mutating func deliver(_ cursor: ChainCursor) {
        precondition(cursor > scanned, "feed change \(cursor) is not after the scanned cursor \(scanned)")
        delivered = cursor
        scanned = cursor
    }

    /// Everything up to the end of block `height` is read (nothing more matched).
    package mutating func scanned(through height: UInt64) {
        scanned = max(scanned, .endOf(height: height))
    }

    /// The heartbeat to send now, if the scan is ahead of what was delivered; it counts as delivered.
    package mutating func heartbeat() -> ChainCursor? {
        guard scanned > delivered else { return nil }
        delivered = scanned
        return scanned
    }
}
