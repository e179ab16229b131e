import CityChainAPI
import CityWire
import Logging
import ServiceLifecycle
import Synchronization

/// The watch stream (kind 0x0405): a snapshot, then the changes found every `pollInterval` in the
/// replica's shared `DirectoryFeed` (one read of the revision per poll for all watches; a reload
/// when it changed or a lease passed its expiry), plus a keepalive after `keepaliveInterval` of
/// silence. Bounded: at most
/// `WatchAdmission.maxTotal` at once per process and `maxPerKey` per certificate, each
/// for at most `maxDuration` (the client then reopens it).
package final class RegistryWatch: Sendable {
    let store: RegistryStore
    let feed: DirectoryFeed
    let pollInterval: Duration
    let keepaliveInterval: Duration
    let maxDuration: Duration
    private let admission: Mutex<WatchAdmission>

    package init(store: RegistryStore, pollInterval: Duration = .milliseconds(250), keepaliveInterval: Duration = .seconds(20),
                 maxDuration: Duration = .seconds(3600), admission: WatchAdmission = WatchAdmission()) {
        precondition(pollInterval > .zero && keepaliveInterval > .zero && maxDuration > .zero)
        self.store = store
        feed = DirectoryFeed(store: store, maxAge: pollInterval)
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
        let first = try await feed.view()
        var answer = Self.filter(first.answer, request.kind)
        try await writer.send(WatchEvent.snapshot(answer).canonicalBytes)
        var current = Self.map(answer)
        var generation = first.generation
        let clock = ContinuousClock()
        let deadline = clock.now + maxDuration
        var lastSent = clock.now
        while clock.now < deadline, !Task.isShuttingDownGracefully {
            try await Task.sleep(for: pollInterval)
            let view = try await feed.view()
            if view.generation != generation {
                answer = Self.filter(view.answer, request.kind)
                let next = Self.map(answer)
                let events = DirectoryDiff.events(from: current, to: next, nowMillis: answer.registryTimeMillis)
                for e in events { try await writer.send(e.canonicalBytes) }
                if !events.isEmpty { lastSent = clock.now }
                current = next
                generation = view.generation
            }
            if clock.now - lastSent >= keepaliveInterval {
                try await writer.send(WatchEvent.keepalive(registryTimeMillis: view.answer.registryTimeMillis, revision: view.answer.revision).canonicalBytes)
                lastSent = clock.now
            }
        }
    }

    /// `a` with only the entries of `kind` (nil: all).
    static func filter(_ a: LookupAnswer, _ kind: ServiceKind?) -> LookupAnswer {
        guard let kind else { return a }
        return LookupAnswer(registryTimeMillis: a.registryTimeMillis, revision: a.revision, entries: a.entries.filter { $0.kind == kind })
    }

    static func map(_ a: LookupAnswer) -> [ServiceKey: ServiceEntry] {
        Dictionary(a.entries.map { ($0.key, $0) }, uniquingKeysWith: { _, b in b })
    }
}

/// Who may open another watch: at most `maxTotal` in all and `maxPerKey` per certificate (a
/// connection's in-flight limit bounds each connection too).
package typealias WatchAdmission = KeyedAdmission<String>

extension KeyedAdmission where Key == String {
    /// The registry's watch limits.
    package init(maxWatches: Int = 256, maxWatchesPerPeer: Int = 16) {
        self.init(maxTotal: maxWatches, maxPerKey: maxWatchesPerPeer,
                  full: { "this registry serves its maximum of \($0) watches; retry later or watch through another registry" },
                  keyFull: { _, n in "this certificate already has \(n) watches open on this registry; close one (one watch of all kinds serves every lookup)" })
    }
}
