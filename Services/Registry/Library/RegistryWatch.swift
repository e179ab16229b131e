import CityChainAPI
import CityWire
import Logging
import ServiceLifecycle
import Synchronization

/// The watch stream (kind 0x0405): a snapshot, then the changes found by polling the directory's
/// revision every `pollInterval`, plus removals when leases pass their expiry (the database clock
/// decides), plus a keepalive after `keepaliveInterval` of silence. Bounded: at most
/// `maxWatches` at once per process, each for at most `maxDuration` (the client then reopens it).
package final class RegistryWatch: Sendable {
    let store: RegistryStore
    let pollInterval: Duration
    let keepaliveInterval: Duration
    let maxDuration: Duration
    let maxWatches: Int
    private let open = Mutex(0)

    package init(store: RegistryStore, pollInterval: Duration = .milliseconds(250), keepaliveInterval: Duration = .seconds(20),
                 maxDuration: Duration = .seconds(3600), maxWatches: Int = 256) {
        precondition(pollInterval > .zero && keepaliveInterval > .zero && maxDuration > .zero && maxWatches > 0)
        self.store = store
        self.pollInterval = pollInterval
        self.keepaliveInterval = keepaliveInterval
        self.maxDuration = maxDuration
        self.maxWatches = maxWatches
    }

    /// Watches open now.
    package var openWatches: Int { open.withLock { $0 } }

    /// Serves one watch until the client cancels, `maxDuration` passes, or the server shuts down.
    package func serve(_ request: LookupRequest, writer: StreamWriter) async throws {
        let admitted = open.withLock { n in
            guard n < maxWatches else { return false }
            n += 1
            return true
        }
        guard admitted else {
            throw WireError(.unavailable, "this registry serves its maximum of \(maxWatches) watches; retry later or watch through another registry")
        }
        defer { open.withLock { $0 -= 1 } }
        let first = try await store.live(kind: request.kind)
        try await writer.send(WatchEvent.snapshot(first).canonicalBytes)
        var current = Self.map(first)
        var revision = first.revision
        let clock = ContinuousClock()
        let deadline = clock.now + maxDuration
        var lastSent = clock.now
        while clock.now < deadline, !Task.isShuttingDownGracefully {
            try await Task.sleep(for: pollInterval)
            let head = try await store.head()
            if head.revision != revision || current.values.contains(where: { $0.expiresAtMillis <= head.nowMillis }) {
                let next = try await store.live(kind: request.kind)
                let nextMap = Self.map(next)
                let events = DirectoryDiff.events(from: current, to: nextMap, nowMillis: next.registryTimeMillis)
                for e in events { try await writer.send(e.canonicalBytes) }
                if !events.isEmpty { lastSent = clock.now }
                current = nextMap
                revision = next.revision
            }
            if clock.now - lastSent >= keepaliveInterval {
                try await writer.send(WatchEvent.keepalive(registryTimeMillis: head.nowMillis, revision: revision).canonicalBytes)
                lastSent = clock.now
            }
        }
    }

    static func map(_ a: LookupAnswer) -> [ServiceKey: ServiceEntry] {
        Dictionary(a.entries.map { ($0.key, $0) }, uniquingKeysWith: { _, b in b })
    }
}
