import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import Logging
@testable import CityIndexer
@preconcurrency import Crypto

let testLogger: Logger = {
    var l = Logger(label: "test.indexer")
    l.logLevel = ProcessInfo.processInfo.environment["CITYCHAIN_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
    return l
}()

/// An indexer running in the test process against a test database.
final class TestIndexer: Sendable {
    let runtime: IndexerRuntime
    let task: Task<Void, any Error>
    let ca: CertificateAuthority
    let port: Int

    init(db: PostgresSettings, validators: [HostPort], ca: CertificateAuthority, anchor: Bool = false,
         genesis: Genesis = F.genesis, feedLimits: FeedLimits = FeedLimits(), readReplicas: [PostgresSettings] = [],
         stateSync: StateSyncTrust? = nil) async throws {
        var s = IndexerSettings(genesis: genesis, postgres: db, validators: validators, auditAgency: F.id("audit-office"),
                                auditKey: anchor ? (KeyID(1), F.key("audit-office")) : nil, anchorPeriod: .seconds(3600))
        s.feedLimits = feedLimits
        s.stateSync = stateSync
        s.postgresRead = readReplicas
        let tls = try TLSIdentity(issued: ca.issue(role: .indexer, name: "indexer-test"))
        runtime = try IndexerRuntime.assemble(settings: s, tls: tls, host: "127.0.0.1", port: 0, logger: testLogger)
        let r = runtime
        task = Task { try await r.run() }
        port = try await runtime.node.server.listeningAddress.port!
        self.ca = ca
    }

    /// Waits until both the index and the proven state reach `height`.
    func waitFor(height: UInt64, seconds: Double = 60) async throws {
        let reached = try? await eventually("the indexer at height \(height)", seconds: seconds) {
            let indexed = await runtime.status.indexedHeight
            let proven = await runtime.proven.height
            return indexed >= height && proven >= height
        }
        if reached != nil { return }
        throw TestFailure("indexer reached \(await runtime.status.indexedHeight) (proven \(await runtime.proven.height)), not \(height), in \(seconds) s; last error: \(await runtime.status.lastError)")
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    /// A query connection as `agency`.
    func query<T: Sendable>(as agency: String, _ body: (WireConnection) async throws -> T) async throws -> T {
        let client = try WireClient(tls: TLSSetup.client(TLSIdentity(issued: ca.issue(role: .agency(agency), name: agency))), logger: testLogger)
        return try await client.withConnection(host: "127.0.0.1", port: port, expecting: .indexer, body)
    }
}

extension WireConnection {
    func ask<A: CanonicalDecodable>(_ kind: MessageKind, _ q: some CanonicalEncodable, as _: A.Type = A.self) async throws -> A {
        try A(canonicalBytes: try await request(kind, q.canonicalBytes))
    }
}

var genesisSet: ValidatorSet { try! ValidatorSet(F.genesis.validators) }
