import Synchronization

/// Tells watchers that a height was reached (a validator's commits: commit streams and
/// submit-and-wait; an indexer's proven height: its feeds), with no polling. A slow watcher only
/// ever holds the newest height, so it costs one slot, never a queue. The one wake-on-height of the
/// services (issue 15).
package final class HeightWatchers: Sendable {
    private struct Watchers {
        var next: UInt64 = 0
        var all: [UInt64: AsyncStream<UInt64>.Continuation] = [:]
    }
    private let watchers = Mutex(Watchers())

    /// No watchers yet.
    package init() {}

    /// A new watcher: its id (for `unwatch`) and the heights announced from now on.
    package func watch() -> (id: UInt64, heights: AsyncStream<UInt64>) {
        let (stream, continuation) = AsyncStream.makeStream(of: UInt64.self, bufferingPolicy: .bufferingNewest(1))
        let id = watchers.withLock { w in
            w.next += 1
            w.all[w.next] = continuation
            return w.next
        }
        return (id, stream)
    }

    /// Ends watcher `id`.
    package func unwatch(_ id: UInt64) {
        watchers.withLock { $0.all.removeValue(forKey: id) }?.finish()
    }

    /// Announces `height` to every watcher.
    package func announce(_ height: UInt64) {
        for c in watchers.withLock({ Array($0.all.values) }) { c.yield(height) }
    }

    /// Ends every watcher (shutdown).
    package func finishAll() {
        for c in watchers.withLock({ w in defer { w.all.removeAll() }; return Array(w.all.values) }) { c.finish() }
    }

    /// Watchers now.
    package var count: Int { watchers.withLock { $0.all.count } }
}
