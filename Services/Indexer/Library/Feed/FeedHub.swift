import CityNode
import CityWire
import ServiceLifecycle

/// Wakes feeds when the height answers reflect (the proven height) moves — announced by
/// `ProvenState.advanced`, no polling — and on a tick so idle feeds send heartbeats and notice
/// shutdown. One slot per feed (the newest height): a feed that is busy or slow never makes the
/// hub, the indexer or other feeds wait.
package final class FeedHub: Service, Sendable {
    private let watchers = HeightWatchers()
    private let source: HeightWatchers
    private let height: @Sendable () async -> UInt64
    private let tickInterval: Duration
    private let clock: MonotonicClock

    /// A hub waking its feeds on each height `source` announces, and every `tickInterval` of `clock`
    /// with `height()`.
    package init(source: HeightWatchers, tickInterval: Duration = .milliseconds(500), clock: MonotonicClock = .system,
                 height: @escaping @Sendable () async -> UInt64) {
        precondition(tickInterval > .zero)
        self.source = source
        self.clock = clock
        self.height = height
        self.tickInterval = tickInterval
    }

    /// A new watcher: its id (for `unwatch`) and wake-ups carrying the visible height.
    package func watch() -> (id: UInt64, wakeups: AsyncStream<UInt64>) {
        let (id, heights) = watchers.watch()
        return (id, heights)
    }

    /// Ends watcher `id`.
    package func unwatch(_ id: UInt64) { watchers.unwatch(id) }

    /// Wakes every watcher with `height`.
    package func wake(_ height: UInt64) { watchers.announce(height) }

    /// Feeds watching now.
    package var count: Int { watchers.count }

    /// Relays the source's heights and ticks until shutdown; then ends every watcher.
    package func run() async throws {
        let (id, heights) = source.watch()
        defer { source.unwatch(id) }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { for await h in heights { self.wake(h) } }
                group.addTask {
                    // Not polling for heights (those are announced): heartbeats for idle feeds.
                    while (try? await self.clock.sleep(for: self.tickInterval)) != nil { self.wake(await self.height()) }
                }
                await group.next()
                group.cancelAll()
            }
        }
        // Feeds see their wake-ups end and close with `indexerStopping`.
        watchers.finishAll()
    }
}
