import CityChainAPI
import CityEncoding
import CityPKI
import CityWire
import Logging
import Synchronization

/// The registry's routes (docs/REGISTRY.md): register, heartbeat and deregister for the service
/// roles, each only as itself; lookup, list and watch for every authenticated caller.
@MemberwiseInit
package struct RegistryService: Sendable {
    let store: RegistryStore
    let watch: RegistryWatch
    let logger: Logger

    /// The router for the registry kinds.
    package func router() -> WireRouter {
        var r = WireRouter()
        let services: @Sendable (Role) -> Bool = { ServiceKind(role: $0) != nil }
        let anyone: @Sendable (Role) -> Bool = { _ in true }
        r.unary(RegistryAPI.register, allowedRoles: services) { req in try await self.register(try req.decode(), peer: req.peer).canonicalBytes }
        r.unary(RegistryAPI.heartbeat, allowedRoles: services) { req in try await self.heartbeat(try req.decode(), peer: req.peer).canonicalBytes }
        r.unary(RegistryAPI.deregister, allowedRoles: services) { req in
            try await self.deregister(try req.decode(), peer: req.peer)
            return []
        }
        r.unary(RegistryAPI.lookup, allowedRoles: anyone) { req in
            let q: LookupRequest = try req.decode()
            return try await self.store.live(kind: q.kind).canonicalBytes
        }
        r.unary(RegistryAPI.listAll, allowedRoles: anyone) { req in
            guard req.payload.isEmpty else { throw WireError(.invalidRequest, "registry.listAll takes an empty payload, not \(req.payload.count) bytes") }
            return try await self.store.all().canonicalBytes
        }
        r.stream(RegistryAPI.watch, allowedRoles: anyone) { req, writer in
            try await self.watch.serve(try req.decode(), peer: req.peer.fingerprint, writer: writer)
        }
        return r
    }

    func register(_ r: RegisterRequest, peer: PeerIdentity) async throws -> ServiceEntry {
        try Self.authorize(r, peer: peer)
        let entry = try await store.register(r)
        logger.info("registered", metadata: ["registry.service": "\(r.key)", "registry.address": "\(r.address)", "peer.id": "\(peer)"])
        return entry
    }

    func heartbeat(_ h: HeartbeatRequest, peer: PeerIdentity) async throws -> ServiceEntry {
        let fingerprint = try Self.authorize(h.key, peer: peer)
        switch try await store.heartbeat(h.key, fingerprint: fingerprint) {
        case .done(let e?): return e
        case .done(nil), .notFound:
            throw WireError(.notFound, "\(h.key) has no live lease (it expired or was removed); register again")
        case .otherHolder:
            throw WireError(.forbidden, "\(h.key) is registered by another certificate; only the certificate that registered it may renew it")
        }
    }

    func deregister(_ h: HeartbeatRequest, peer: PeerIdentity) async throws {
        let fingerprint = try Self.authorize(h.key, peer: peer)
        switch try await store.deregister(h.key, fingerprint: fingerprint) {
        case .done: logger.info("deregistered", metadata: ["registry.service": "\(h.key)", "peer.id": "\(peer)"])
        case .notFound: throw WireError(.notFound, "\(h.key) is not registered (its lease may have expired); nothing to remove")
        case .otherHolder:
            throw WireError(.forbidden, "\(h.key) is registered by another certificate; only the certificate that registered it may remove it")
        }
    }

    // MARK: - Who may do what (pure)

    /// A registration is the caller's own: its kind is the certificate's role, its id the
    /// certificate's name, its fingerprint the SHA-256 of the certificate on this connection.
    package static func authorize(_ r: RegisterRequest, peer: PeerIdentity) throws(WireError) {
        let fingerprint = try authorize(r.key, peer: peer)
        guard r.certificateFingerprint == fingerprint else {
            throw WireError(.forbidden, "the claimed certificate fingerprint \(r.certificateFingerprint.hex) is not the SHA-256 of the certificate on this connection (\(fingerprint.hex)); register with the fingerprint of the certificate you connect with")
        }
    }

    /// The caller may act on `key` only as itself; returns its certificate's fingerprint.
    package static func authorize(_ key: ServiceKey, peer: PeerIdentity) throws(WireError) -> Hash32 {
        guard let own = ServiceKind(role: peer.role) else {
            throw WireError(.forbidden, "a \(peer.role) certificate cannot register a service; only validator, indexer, gateway and registry certificates can, each as its own kind")
        }
        guard key.kind == own else {
            throw WireError(.forbidden, "the certificate of \(peer) may register only as kind \(own), not \(key.kind); use a certificate issued with --role \(key.kind)")
        }
        guard key.id == peer.name else {
            throw WireError(.forbidden, "the id '\(key.id)' is not the certificate's name '\(peer.name)'; a service registers under its certificate's name")
        }
        guard let fingerprint = Hash32(hex: peer.fingerprint) else {
            throw WireError(.forbidden, "the certificate on this connection has no usable fingerprint; reissue it")
        }
        return fingerprint
    }
}
