import CityChainAPI
import CityWire
import Logging
import ServiceLifecycle
import Synchronization

/// The watch stream (kind 0x0405): a snapshot, then the changes found by polling the directory's
/// revision every `pollInterval`, plus removals when leases pass their expiry (the database clock
/// decides), plus a keepalive after `keepaliveInterval` of silence. Bounded: at most
/// `WatchAdmission.maxWatches` at once per process and `maxWatchesPerPeer` per certificate, each
/// for at most `maxDuration` (the client then reopens it).
package final class RegistryWatch: Sendable {
    let store: RegistryStore
    let pollInterval: Duration
    let keepaliveInterval: Duration
    let maxDuration: Duration
    private let admission: Mutex<WatchAdmission>

    package init(store: RegistryStore, pollInterval: Duration = .milliseconds(250), keepaliveInterval: Duration = .seconds(20),
                 maxDuration: Duration = .seconds(3600), admission: WatchAdmission = WatchAdmission()) {
        precondition(pollInterval > .zero && keepaliveInterval > .zero && maxDuration > .zero)
        self.store = store
        self.pollInterval = pollInterval
        self.keepaliveInterval = keepaliveInterval
        self.maxDuration = maxDuration
        self.admission = Mutex(admission)
    }

    /// Watches open now.
    package var openWatches: Int { admission.withLock { $0.total } }

    /// Serves one watch for `peer` until the client cancels, `maxDuration` passes, or the server shuts down.
    package func serve(_ request: LookupRequest, peer: String, writer: StreamWriter) async throws {
        try admission.withLock { a throws(WireError) in try a.admit(peer) }
        defer { admission.withLock { $0.release(peer) } }
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

/// Who may open another watch (pure): at most `maxWatches` in all and `maxWatchesPerPeer` per
/// certificate (a connection's in-flight limit bounds each connection too).
package struct WatchAdmission: Sendable {
    package let maxWatches: Int
    package let maxWatchesPerPeer: Int
    package private(set) var total = 0
    private var perPeer: [String: Int] = [:]

    package init(maxWatches: Int = 256, maxWatchesPerPeer: Int = 16) {
        precondition(maxWatches > 0 && maxWatchesPerPeer > 0)
        self.maxWatches = maxWatches
        self.maxWatchesPerPeer = maxWatchesPerPeer
    }

    /// Counts a new watch of `peer`, or refuses it with `unavailable`.
    package mutating func admit(_ peer: String) throws(WireError) {
        guard total < maxWatches else {
            throw WireError(.unavailable, "this registry serves its maximum of \(maxWatches) watches; retry later or watch through another registry")
        }
        guard perPeer[peer, default: 0] < maxWatchesPerPeer else {
            throw WireError(.unavailable, "this certificate already has \(maxWatchesPerPeer) watches open on this registry; close one (one watch of all kinds serves every lookup)")
        }
        total += 1
        perPeer[peer, default: 0] += 1
    }

    /// Forgets a watch of `peer` that ended.
    package mutating func release(_ peer: String) {
        guard let n = perPeer[peer], n > 0 else { preconditionFailure("release of a watch never admitted") }
        total -= 1
        perPeer[peer] = n == 1 ? nil : n - 1
    }

    /// Watches open for `peer`.
    package func open(for peer: String) -> Int { perPeer[peer, default: 0] }
}
