import CityChainAPI
import CityEncoding
import CityPKI
import CityWire
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps this process registered (docs/REGISTRY.md): registers with the first reachable of
/// `registries`, heartbeats every third of the lease over the same connection, fails over to the
/// next registry when one stops answering, registers again when the lease was lost, and
/// deregisters on graceful shutdown. Run it in the process's ServiceGroup after the server.
package final class RegistryAgent: Service {
    /// What this process registers as.
    package struct Registration: Sendable, Hashable {
        package var kind: ServiceKind
        package var id: String
        package var certificateFingerprint: Hash32
        package var nodeKey: [UInt8]
        package var detail: String
        package var leaseMillis: UInt64

        /// A registration; `identity` gives kind (its role), id (its name) and fingerprint.
        package init(identity: PeerIdentity, nodeKey: [UInt8] = [], detail: String = "", leaseMillis: UInt64 = 15_000) throws(WireError) {
            guard let kind = ServiceKind(role: identity.role) else {
                throw WireError(.forbidden, "a \(identity.role) certificate cannot register with the registry; only service certificates can")
            }
            guard let fp = Hash32(hex: identity.fingerprint) else { throw WireError(.invalidRequest, "the certificate has no usable fingerprint") }
            self.kind = kind
            id = identity.name
            certificateFingerprint = fp
            self.nodeKey = nodeKey
            self.detail = detail
            self.leaseMillis = leaseMillis
        }
    }

    /// Where the agent stands (for health output and tests).
    package struct Status: Sendable, Hashable {
        /// The registry holding the current lease (nil: not registered now).
        package var registeredVia: HostPort?
        /// Successful registrations so far (a failover or a lost lease adds one).
        package var registrations = 0
        /// Heartbeats answered so far.
        package var heartbeats = 0
        /// The last failure, in words.
        package var lastError: String?
    }

    let registries: [HostPort]
    let client: WireClient
    let registration: Registration
    let advertise: @Sendable () async throws -> HostPort
    let logger: Logger
    /// Wait before trying the next registry after a failure: doubles from `minRetryDelay` to `maxRetryDelay`.
    let minRetryDelay: Duration
    let maxRetryDelay: Duration
    /// Timeout of each register, heartbeat or deregister request.
    let requestTimeout: Duration
    /// The clock the heartbeat interval runs on (manual in tests).
    let clock: MonotonicClock
    private let state = Mutex(Status())
    /// The certificate fingerprint registered; changed by `certificateChanged` after a reload.
    private let fingerprint: Mutex<Hash32>

    /// An agent for `registration`, advertising the address `advertise` returns (called once, after the server bound).
    package init(registries: [HostPort], client: WireClient, registration: Registration,
                 advertise: @escaping @Sendable () async throws -> HostPort, logger: Logger,
                 minRetryDelay: Duration = .milliseconds(200), maxRetryDelay: Duration = .seconds(5), requestTimeout: Duration = .seconds(5),
                 clock: MonotonicClock = .system) {
        precondition(!registries.isEmpty, "a registry agent needs at least one registry")
        self.registries = registries
        self.client = client
        self.registration = registration
        self.advertise = advertise
        var l = logger
        l[metadataKey: "registry.service"] = "\(registration.kind)/\(registration.id)"
        self.logger = l
        self.minRetryDelay = minRetryDelay
        self.maxRetryDelay = maxRetryDelay
        self.requestTimeout = requestTimeout
        self.clock = clock
        fingerprint = Mutex(registration.certificateFingerprint)
    }

    /// The process's certificate was reloaded (SIGHUP): the entry gets the new fingerprint. The
    /// session in progress ends before its next heartbeat (within a third of the lease) and the
    /// agent registers again on a new connection, which presents the new certificate.
    package func certificateChanged(fingerprint new: Hash32) {
        fingerprint.withLock { $0 = new }
        logger.notice("certificate changed; registering its new fingerprint", metadata: ["tls.fingerprint": "\(new)"])
    }

    /// The fingerprint registered now.
    package var registeredFingerprint: Hash32 { fingerprint.withLock { $0 } }

    /// Where the agent stands now.
    package var status: Status { state.withLock { $0 } }

    /// Registers and keeps the lease until graceful shutdown (or cancellation), then deregisters.
    package func run() async throws {
        let address = try await advertise()
        let registration = self.registration
        let makeRequest: @Sendable (Hash32) throws -> RegisterRequest = { fp in
            try RegisterRequest(kind: registration.kind, id: registration.id, address: address.description,
                                certificateFingerprint: fp, nodeKey: registration.nodeKey,
                                leaseMillis: registration.leaseMillis, detail: registration.detail).validated()
        }
        let request = try makeRequest(registeredFingerprint)
        await cancelWhenGracefulShutdown { await self.keepRegistered { try makeRequest(self.registeredFingerprint) } }
        await deregister(request.key)
    }

    /// Registry after registry (in order, wrapping), until cancelled: one session each.
    func keepRegistered(_ makeRequest: @Sendable () throws -> RegisterRequest) async {
        var index = 0
        var backoff = Backoff(first: minRetryDelay, cap: maxRetryDelay)
        while !Task.isCancelled {
            let registry = registries[index]
            let before = status.registrations
            do {
                let request = try makeRequest()
                try await client.withConnection(host: registry.host, port: registry.port, expecting: .registry) { wire in
                    try await self.session(wire, registry: registry, request: request)
                }
            } catch {
                if Task.isCancelled { return }
                let message = "\(error)"
                state.withLock { $0.registeredVia = nil; $0.lastError = "\(registry): \(message)" }
                logger.warning("registry session ended; trying the next registry",
                               metadata: ["registry.address": "\(registry)", "error": "\(message)"])
                index = (index + 1) % registries.count
            }
            if status.registrations > before { backoff.reset() }
            _ = try? await backoff.wait()
        }
    }

    /// Most heartbeats over one connection; then the agent reconnects (and registers again).
    static let maxHeartbeatsPerSession = 10_000

    /// Registers over `wire`, then heartbeats until the connection fails (or cancellation, or
    /// `maxHeartbeatsPerSession`).
    func session(_ wire: WireConnection, registry: HostPort, request: RegisterRequest) async throws {
        try await register(wire, registry: registry, request: request)
        let interval = Duration.milliseconds(Int64(request.leaseMillis / 3))
        for _ in 0..<Self.maxHeartbeatsPerSession {
            try await clock.sleep(for: interval)
            // A reloaded certificate: end this session (its connection has the old one); the
            // loop registers the new fingerprint on a new connection.
            guard registeredFingerprint == request.certificateFingerprint else { return }
            do {
                _ = try ServiceEntry(canonicalBytes: try await wire.request(RegistryAPI.heartbeat, HeartbeatRequest(kind: request.kind, id: request.id).canonicalBytes,
                                                                            timeout: requestTimeout))
                state.withLock { $0.heartbeats += 1 }
            } catch let e as WireError where e.code == .notFound {
                logger.notice("registry lease was lost; registering again", metadata: ["registry.address": "\(registry)"])
                try await register(wire, registry: registry, request: request)
            }
        }
    }

    private func register(_ wire: WireConnection, registry: HostPort, request: RegisterRequest) async throws {
        let entry = try ServiceEntry(canonicalBytes: try await wire.request(RegistryAPI.register, request.canonicalBytes, timeout: requestTimeout))
        state.withLock { $0.registeredVia = registry; $0.registrations += 1; $0.lastError = nil }
        logger.info("registered", metadata: ["registry.address": "\(registry)", "registry.expiresAt": "\(entry.expiresAtMillis)"])
    }

    /// Best effort, bounded: the registry holding the lease first, then the others, one request each.
    func deregister(_ key: ServiceKey) async {
        let first = status.registeredVia
        let order = (first.map { [$0] } ?? []) + registries.filter { $0 != first }
        for registry in order {
            do {
                try await client.withConnection(host: registry.host, port: registry.port, expecting: .registry) { wire in
                    _ = try await wire.request(RegistryAPI.deregister, HeartbeatRequest(kind: key.kind, id: key.id).canonicalBytes,
                                               timeout: self.requestTimeout)
                }
                state.withLock { $0.registeredVia = nil }
                logger.info("deregistered", metadata: ["registry.address": "\(registry)"])
                return
            } catch let e as WireError where e.code == .notFound {
                state.withLock { $0.registeredVia = nil }
                return
            } catch {
                logger.warning("deregistration failed; the lease will expire", metadata: ["registry.address": "\(registry)", "error": "\(error)"])
            }
        }
    }
}
