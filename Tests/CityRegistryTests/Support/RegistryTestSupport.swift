import CityChainAPI
import CityEncoding
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import Logging
@testable import CityRegistry

let testLogger: Logger = {
    var l = Logger(label: "test.registry")
    l.logLevel = ProcessInfo.processInfo.environment["CITYCHAIN_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
    return l
}()

extension TestDatabase {
    /// The registry's view of a CityTestSupport database.
    var registry: RegistryDatabase {
        RegistryDatabase(host: host, port: port, user: user, password: password, database: database, rootCertificate: rootCertificate)
    }
}

/// A store on `db` with its pool running, migrated; `body` runs, then the pool stops.
func withStore<T: Sendable>(_ db: TestDatabase, _ body: (RegistryStore) async throws -> T) async throws -> T {
    let store = try RegistryStore(settings: db.registry, logger: testLogger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await store.client.run() }
        defer { group.cancelAll() }
        try await store.migrate()
        return try await body(store)
    }
}

/// A certificate made at test time, with the identity the registry will see.
struct TestIdentity: Sendable {
    let issued: IssuedIdentity
    let tls: TLSIdentity
    let peer: PeerIdentity

    init(_ ca: CertificateAuthority, _ role: Role, _ name: String) throws {
        issued = try ca.issue(role: role, name: name)
        tls = try TLSIdentity(issued: issued)
        peer = try PeerIdentity(certificate: tls.certificateChain[0])
    }

    var fingerprint: Hash32 { Hash32(hex: peer.fingerprint)! }

    func client() throws -> WireClient { try WireClient(tls: TLSSetup.client(tls), logger: testLogger) }

    func registration(_ kind: ServiceKind, address: String = "127.0.0.1:7101", leaseMillis: UInt64 = 10_000) -> RegisterRequest {
        RegisterRequest(kind: kind, id: peer.name, address: address, certificateFingerprint: fingerprint, leaseMillis: leaseMillis, detail: "test")
    }
}

extension WireConnection {
    /// Calls `kind` with `q` and decodes the answer.
    func ask<A: CanonicalDecodable>(_ kind: MessageKind, _ q: some CanonicalEncodable, as _: A.Type = A.self) async throws -> A {
        try A(canonicalBytes: try await request(kind, q.canonicalBytes, timeout: .seconds(10)))
    }
}
