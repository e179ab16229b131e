import CityChainAPI
import CityPKI
import CityWire
import Logging
import Synchronization

/// The upstream services of one role (validators, or indexers) the gateway routes to. For each
/// address a few persistent connections are kept open by keeper tasks, each probing its connection
/// every `probeInterval` (a failed or slow probe closes it and the keeper reconnects with backoff).
/// An upstream is healthy while it has an open, answering connection; a connection that closes is
/// forgotten at once. Requests go to the healthy
/// upstream with the fewest requests in flight and fail over to the next on a transport error.
/// The address set changes at run time (static flags plus the registry's live entries).
package final class UpstreamPool: Sendable {
    /// Reads a height (or 0) from a connection; throws if the upstream does not answer.
    package typealias Probe = @Sendable (WireConnection) async throws -> UInt64

    package let role: Role
    private let client: WireClient
    private let connectionsPerUpstream: Int
    private let probeInterval: Duration
    /// The clock the probes are spaced on (manual in tests).
    private let clock: MonotonicClock
    private let probe: Probe
    private let logger: Logger
    private let links = Mutex<[HostPort: Link]>([:])

    package init(role: Role, client: WireClient, connectionsPerUpstream: Int = 2, probeInterval: Duration = .milliseconds(500),
                 logger: Logger, clock: MonotonicClock = .system, probe: @escaping Probe) {
        self.role = role
        self.clock = clock
        self.client = client
        self.connectionsPerUpstream = max(1, connectionsPerUpstream)
        self.probeInterval = probeInterval
        self.probe = probe
        self.logger = logger
    }

    deinit { for link in links.withLock({ Array($0.values) }) { link.cancel() } }

    /// Routes to exactly `addresses` from now on: keepers start for new ones, stop for gone ones.
    package func setAddresses(_ addresses: Set<HostPort>) {
        let (added, removed): ([Link], [Link]) = links.withLock { links in
            let gone = links.keys.filter { !addresses.contains($0) }.compactMap { links.removeValue(forKey: $0) }
            var new: [Link] = []
            for a in addresses where links[a] == nil {
                let l = Link(address: a)
                links[a] = l
                new.append(l)
            }
            return (new, gone)
        }
        for l in removed {
            logger.notice("no longer routing to \(role)", metadata: ["upstream": "\(l.address)"])
            l.cancel()
        }
        for l in added {
            logger.info("routing to \(role)", metadata: ["upstream": "\(l.address)"])
            for slot in 0..<connectionsPerUpstream {
                l.add(Task { await self.keep(l, slot: slot) })
            }
        }
    }

    /// Stops every keeper.
    package func shutdown() { setAddresses([]) }

    /// The addresses routed to.
    package var addresses: Set<HostPort> { links.withLock { Set($0.keys) } }

    /// Each upstream's health, sorted by address.
    package func health() -> [UpstreamHealth] {
        links.withLock { Array($0.values) }.map { $0.health }.sorted { $0.address < $1.address }
    }

    /// The highest height any healthy upstream reported (nil: none healthy yet).
    package func highestHeight() -> UInt64? {
        links.withLock { Array($0.values) }.compactMap { l in l.snapshot.healthy ? l.snapshot.height : nil }.max()
    }

    /// Whether any upstream is healthy.
    package var anyHealthy: Bool { links.withLock { Array($0.values) }.contains { $0.snapshot.healthy } }

    /// Calls `kind` on a healthy upstream, failing over on transport errors (connection lost,
    /// no answer in time, too many in flight) and on `rateLimited` (honouring its retry-after once
    /// every upstream refused) until `deadline`; the upstream's other typed errors are returned as
    /// they are. `attemptTimeout` bounds each try.
    package func call(_ kind: MessageKind, _ payload: [UInt8], attemptTimeout: Duration,
                      deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        var tried: Set<HostPort> = []
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            try Task.checkCancellation()
            let all = links.withLock { Array($0.values) }
            let candidates = all.filter { $0.snapshot.healthy && !tried.contains($0.address) }
            // The least busy; among equally busy ones any (so upstreams share even a sequential load).
            let least = candidates.map(\.inFlight).min()
            guard let link = candidates.filter({ $0.inFlight == least }).randomElement(), let (slot, conn) = link.pick() else {
                if !tried.isEmpty, all.allSatisfy({ tried.contains($0.address) || !$0.snapshot.healthy }) { tried = [] }
                try await Task.sleep(for: .milliseconds(50))
                continue
            }
            let remaining = deadline - ContinuousClock.now
            do {
                link.started()
                defer { link.finished() }
                return try await conn.request(kind, payload, timeout: min(attemptTimeout, max(remaining, .milliseconds(1))))
            } catch let e as WireError where e.code == .unavailable || e.code == .tooManyInFlight || e.code == .cancelled {
                if e.code == .unavailable, link.drop(slot, conn, reason: e.message) {
                    logger.warning("\(role) is unhealthy", metadata: ["upstream": "\(link.address)", "error": "\(e)"])
                }
                tried.insert(link.address)
                lastError = e
                logger.debug("failing over", metadata: ["upstream": "\(link.address)", "error": "\(e)"])
            } catch let e as WireError where e.code == .timeout {
                tried.insert(link.address)
                lastError = e
            } catch let e as WireError where { if case .rateLimited = e.code { true } else { false } }() {
                // At its admission bound (backpressure): try another upstream; once every one has
                // refused, wait the shortest retry-after the last refusal named, within the deadline.
                tried.insert(link.address)
                lastError = e
                if case .rateLimited(let ms) = e.code, all.allSatisfy({ tried.contains($0.address) || !$0.snapshot.healthy }) {
                    let wait = min(Duration.milliseconds(Int64(ms)), max(deadline - ContinuousClock.now, .zero))
                    try await Task.sleep(for: wait)
                    tried = []
                }
            } catch let e as WireError {
                throw e
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if link.drop(slot, conn, reason: "\(error)") {
                    logger.warning("\(role) is unhealthy", metadata: ["upstream": "\(link.address)", "error": "\(error)"])
                }
                tried.insert(link.address)
                lastError = error
            }
        }
        if let e = lastError as? WireError, case .rateLimited = e.code { throw e }   // the client retries after the hint
        let what = lastError.map { "; last error: \($0)" } ?? (links.withLock { $0.isEmpty } ? "; none is known (pass one with a flag or register it in the registry)" : "; none is healthy")
        throw WireError(.unavailable, "no \(role) answered in time\(what); retry later")
    }

    /// A connection to a healthy upstream (for streams), or nil.
    package func anyConnection() -> (HostPort, WireConnection)? {
        let all = links.withLock { Array($0.values) }.filter { $0.snapshot.healthy }
        for l in all.shuffled() { if let (_, c) = l.pick() { return (l.address, c) } }
        return nil
    }

    /// Keeps connection `slot` of `link` open, probing it, until the link is cancelled.
    private func keep(_ link: Link, slot: Int) async {
        var backoff = Backoff(first: .milliseconds(100), cap: .seconds(2))
        while !Task.isCancelled {
            do {
                try await client.withConnection(host: link.address.host, port: link.address.port, expecting: role) { conn in
                    // An upstream that closes the connection (stopping, restarting) is unhealthy at
                    // once, not at the next probe: requests stop being routed to it.
                    conn.whenClosed { [logger, role] in
                        if link.drop(slot, conn, reason: "the connection closed") {
                            logger.warning("\(role) is unhealthy", metadata: ["upstream": "\(link.address)", "error": "the connection closed"])
                        }
                    }
                    while !Task.isCancelled {
                        let height = try await probe(conn)
                        if link.up(slot, conn, height: height) {
                            logger.info("\(role) is healthy", metadata: ["upstream": "\(link.address)", "height": "\(height)"])
                        }
                        backoff.reset()
                        try await clock.sleep(for: probeInterval)
                    }
                }
            } catch {
                if Task.isCancelled { break }
                if link.drop(slot, nil, reason: "\(error)") {
                    logger.warning("\(role) is unhealthy", metadata: ["upstream": "\(link.address)", "error": "\(error)"])
                }
            }
            link.drop(slot, nil, reason: "connection closed")
            _ = try? await backoff.wait()
        }
        link.drop(slot, nil, reason: "stopped")
    }

    /// One upstream address: its open connections by slot, its last height, requests in flight.
    final class Link: Sendable {
        struct State {
            var connections: [Int: WireConnection] = [:]
            var height: UInt64 = 0
            var lastError = "not connected yet"
            var inFlight = 0
            var next = 0
            var tasks: [Task<Void, Never>] = []
        }

        struct Snapshot { var healthy: Bool; var height: UInt64 }

        let address: HostPort
        private let state = Mutex(State())

        init(address: HostPort) { self.address = address }

        var snapshot: Snapshot { state.withLock { Snapshot(healthy: !$0.connections.isEmpty, height: $0.height) } }
        var inFlight: Int { state.withLock { $0.inFlight } }

        var health: UpstreamHealth {
            state.withLock { s in
                UpstreamHealth(address: "\(address)", healthy: !s.connections.isEmpty, height: s.height,
                               detail: s.connections.isEmpty ? s.lastError : "\(s.connections.count) connections, \(s.inFlight) in flight")
            }
        }

        func add(_ task: Task<Void, Never>) { state.withLock { $0.tasks.append(task) } }
        func cancel() {
            for t in state.withLock({ s in defer { s.tasks = [] }; return s.tasks }) { t.cancel() }
        }

        func started() { state.withLock { $0.inFlight += 1 } }
        func finished() {
            state.withLock { s in
                s.inFlight -= 1
                assert(s.inFlight >= 0, "a request finished that was never started")
            }
        }

        /// Records a live connection and its height; true if the upstream just became healthy.
        func up(_ slot: Int, _ conn: WireConnection, height: UInt64) -> Bool {
            state.withLock { s in
                let was = !s.connections.isEmpty
                s.connections[slot] = conn
                s.height = max(s.height, height)
                return !was
            }
        }

        /// Forgets connection `slot` (only if it is still `conn`, when given); true if the upstream
        /// just became unhealthy.
        @discardableResult
        func drop(_ slot: Int, _ conn: WireConnection?, reason: String) -> Bool {
            state.withLock { s in
                let was = !s.connections.isEmpty
                if let conn, s.connections[slot] !== conn { return false }
                s.connections[slot] = nil
                s.lastError = reason
                return was && s.connections.isEmpty
            }
        }

        /// A connection, round robin.
        func pick() -> (Int, WireConnection)? {
            state.withLock { s in
                let slots = s.connections.keys.sorted()
                guard !slots.isEmpty else { return nil }
                s.next &+= 1
                let slot = slots[s.next % slots.count]
                return (slot, s.connections[slot]!)
            }
        }
    }
}
