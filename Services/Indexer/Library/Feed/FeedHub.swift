import Synchronization
import ServiceLifecycle

/// Wakes feeds when the height answers reflect (the proven height) moves, and on a tick so idle
/// feeds send heartbeats and notice shutdown. One slot per feed (the newest height): a feed that
/// is busy or slow never makes the hub, the indexer or other feeds wait.
package final class FeedHub: Service, Sendable {
    private struct Watchers {
        var next: UInt64 = 0
        var all: [UInt64: AsyncStream<UInt64>.Continuation] = [:]
    }
    private let watchers = Mutex(Watchers())
    private let height: @Sendable () async -> UInt64
    private let pollInterval: Duration
    private let tickInterval: Duration

    /// A hub reading the visible height with `height` every `pollInterval`, ticking every `tickInterval`.
    package init(pollInterval: Duration = .milliseconds(2), tickInterval: Duration = .milliseconds(500),
                 height: @escaping @Sendable () async -> UInt64) {
        precondition(pollInterval > .zero && tickInterval > .zero)
        self.height = height
        self.pollInterval = pollInterval
        self.tickInterval = tickInterval
    }

    /// A new watcher: its id (for `unwatch`) and wake-ups carrying the visible height.
    package func watch() -> (id: UInt64, wakeups: AsyncStream<UInt64>) {
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

    /// Wakes every watcher with `height`.
    package func wake(_ height: UInt64) {
        for c in watchers.withLock({ Array($0.all.values) }) { c.yield(height) }
    }

    /// Feeds watching now.
    package var count: Int { watchers.withLock { $0.all.count } }

    /// Polls the height until shutdown; wakes on every change and every tick; then ends every watcher.
    package func run() async throws {
        let clock = ContinuousClock()
        var last: UInt64 = 0
        var lastTick = clock.now
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let h = await height()
            if h != last || clock.now - lastTick >= tickInterval {
                last = h
                lastTick = clock.now
                wake(h)
            }
            try? await Task.sleep(for: pollInterval)
        }
        // Feeds see their wake-ups end and close with `indexerStopping`.
        for c in watchers.withLock({ w in defer { w.all.removeAll() }; return Array(w.all.values) }) { c.finish() }
    }
}
