import CityChainAPI
import CityPKI
import CityWire
import Logging
import Synchronization

/// The live directory as a client sees it (the gateway uses it to find validators and indexers):
/// a watch kept open on one of `registries`, failing over to the next and reconnecting with
/// backoff. Across a failover the last known entries stay until the new registry's snapshot
/// replaces them, so lookups keep answering while registries restart.
package actor RegistryDirectory {
    private let registries: [HostPort]
    private let client: WireClient
    private let logger: Logger
    private let minRetryDelay: Duration
    private let maxRetryDelay: Duration
    private var state: [ServiceKey: ServiceEntry] = [:]
    private var synced = false
    private var watching: HostPort?
    private let subscribers = Subscribers()

    /// The `changes()` streams (a class: a Mutex cannot be captured by the streams' termination handlers).
    private final class Subscribers: Sendable {
        let state = Mutex<(next: UInt64, all: [UInt64: AsyncStream<Void>.Continuation])>((0, [:]))
    }

    /// Most subscribers to `changes()` at once.
    package static let maxSubscribers = 1024

    /// A directory fed from `registries` (tried in order, wrapping).
    package init(registries: [HostPort], client: WireClient, logger: Logger,
                 minRetryDelay: Duration = .milliseconds(200), maxRetryDelay: Duration = .seconds(5)) {
        precondition(!registries.isEmpty, "a registry directory needs at least one registry")
        self.registries = registries
        self.client = client
        self.logger = logger
        self.minRetryDelay = minRetryDelay
        self.maxRetryDelay = maxRetryDelay
    }

    /// Keeps a watch open until cancelled.
    package func run() async {
        await Self.watchLoop(self)
        subscribers.state.withLock { s in
            for c in s.all.values { c.finish() }
            s.all = [:]
        }
    }

    /// Live entries of `kind`, ordered by id.
    package func entries(_ kind: ServiceKind) -> [ServiceEntry] {
        state.values.filter { $0.kind == kind }.sorted { $0.id < $1.id }
    }

    /// Every live entry, ordered by kind then id.
    package func allEntries() -> [ServiceEntry] { state.values.sorted { $0.key < $1.key } }

    /// Whether a snapshot has arrived (from any registry) since `run` started.
    package var isSynced: Bool { synced }

    /// The registry whose watch feeds the directory now (nil: none connected).
    package var source: HostPort? { watching }

    /// Yields once after every change of the directory (coalesced: a slow reader sees one
    /// element for many changes). Ends when `run` ends.
    package nonisolated func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id: UInt64? = subscribers.state.withLock { s in
            guard s.all.count < Self.maxSubscribers else { return nil }
            let id = s.next
            s.next += 1
            s.all[id] = continuation
            return id
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [subscribers] _ in _ = subscribers.state.withLock { $0.all.removeValue(forKey: id) } }
        return stream
    }

    // MARK: - Feeding

    func apply(_ event: WatchEvent, from registry: HostPort) {
        if case .keepalive = event { return }
        let before = state
        DirectoryDiff.apply(event, to: &state)
        if case .snapshot = event {
            synced = true
            watching = registry
        }
        guard state != before else { return }
        subscribers.state.withLock { s in for c in s.all.values { c.yield() } }
    }

    func disconnected() { watching = nil }

    private static func watchLoop(_ d: RegistryDirectory) async {
        var index = 0
        var backoff = Backoff(first: d.minRetryDelay, cap: d.maxRetryDelay)
        while !Task.isCancelled {
            let registry = d.registries[index]
            var gotSnapshot = false
            do {
                try await d.client.withConnection(host: registry.host, port: registry.port, expecting: .registry) { wire in
                    for try await bytes in wire.stream(RegistryAPI.watch, LookupRequest().canonicalBytes) {
                        let event = try WatchEvent(canonicalBytes: bytes)
                        if case .snapshot = event { gotSnapshot = true }
                        await d.apply(event, from: registry)
                    }
                }
                // The registry ended the watch (its time limit or its shutdown): reopen at once.
            } catch {
                if Task.isCancelled { break }
                d.logger.warning("registry watch ended; trying the next registry", metadata: ["registry.address": "\(registry)", "error": "\(error)"])
                index = (index + 1) % d.registries.count
            }
            await d.disconnected()
            if gotSnapshot { backoff.reset() }
            _ = try? await backoff.wait()
        }
    }
}
