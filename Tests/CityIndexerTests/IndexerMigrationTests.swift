import CityLedger
import CityWire
import CityPKI
import CityTestSupport
import Foundation
import Testing
@testable import CityIndexer

/// Migrations of indexers sharing one PostgreSQL cluster, each with its own database, and what an
/// indexer whose migration fails tells the code waiting for it.
@Suite struct IndexerMigrationTests {
    /// The analyst role belongs to the cluster while each database's migration lock is its own: two
    /// indexers migrating at once could both find no role and one failed on a duplicate key.
    @Test(.timeLimit(.minutes(3))) func indexersMigrateTheirDatabasesInOneClusterAtOnce() async throws {
        let dbs = [try await TestPostgres.database(), try await TestPostgres.database(), try await TestPostgres.database()]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for db in dbs {
                group.addTask {
                    let store = IndexStore(settings: db.settings, logger: testLogger)
                    try await withThrowingTaskGroup(of: Void.self) { inner in
                        inner.addTask { await store.client.run() }
                        try await store.migrate()
                        inner.cancelAll()
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// An indexer that cannot migrate (here: its database does not exist) fails its run and
    /// everything waiting for its listening address gets that failure, instead of waiting for ever.
    @Test(.timeLimit(.minutes(2))) func anIndexerThatCannotMigrateFailsItsWaiters() async throws {
        let real = try await TestPostgres.database()
        let missing = TestDatabase(host: real.host, port: real.port, user: real.user, database: "no_such_database")
        let ca = try CertificateAuthority.create()
        var s = IndexerSettings(genesis: F.genesis, postgres: missing.settings, validators: [HostPort(host: "127.0.0.1", port: 9)], auditAgency: F.id("audit-office"))
        s.feedLimits = FeedLimits()
        let runtime = try IndexerRuntime.assemble(settings: s, tls: try TLSIdentity(issued: ca.issue(role: .indexer, name: "indexer-test")),
                                                  host: "127.0.0.1", port: 0, logger: testLogger)
        let run = Task { try await runtime.run() }
        defer { run.cancel() }
        do {
            _ = try await runtime.node.server.listeningAddress
            Issue.record("the indexer bound although its database does not exist")
        } catch {
            #expect("\(error)".contains("/no_such_database") && "\(error)".contains("check --postgres"), "\(error)")
        }
        await #expect(throws: (any Error).self) { try await run.value }
    }
}
