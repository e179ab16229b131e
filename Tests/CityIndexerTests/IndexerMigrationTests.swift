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
                    let store = try IndexStore(settings: db.settings, logger: testLogger)
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

    /// Analyst roles belong to the cluster: indexers of several databases mapping the same new
    /// agencies at once all end with every agency mapped (the one that lost the race to create a
    /// role once left its agencies unmapped, and its analysts saw nothing).
    @Test(.timeLimit(.minutes(3))) func indexersInOneClusterAllMapTheSameNewAgencies() async throws {
        let dbs = [try await TestPostgres.database(), try await TestPostgres.database(), try await TestPostgres.database()]
        let pg = try TestPostgres.shared.get()
        let tag = UUID().uuidString.prefix(8).lowercased()
        let agencies = (1...6).map { "race-\(tag)-\($0)" }
        let stores = try dbs.map { try IndexStore(settings: $0.settings, logger: testLogger) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for store in stores { group.addTask { await store.client.run() } }
            for (store, db) in zip(stores, dbs) {
                try await store.migrate()
                let values = agencies.map { "('\($0)', 'Agency \($0)', false, 0)" }.joined(separator: ", ")
                _ = try pg.psql(db, "INSERT INTO citychain.agencies (id, name, is_admin, registered_height) VALUES \(values)")
            }
            await withTaskGroup(of: Void.self) { race in
                for store in stores { race.addTask { await store.ensureAnalystRoles() } }
            }
            group.cancelAll()
        }
        for db in dbs {
            #expect(try pg.psql(db, "SELECT count(*) FROM citychain.analyst_roles WHERE agency LIKE 'race-\(tag)-%'") == "6")
        }
        #expect(try pg.psql(dbs[0], "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'cc_analyst_race-\(tag)-%'") == "6")
    }

    /// Versions strictly increase: a migration that repeats a version is skipped by a database
    /// already at it (the validator-change index once shipped as a second "version 2").
    @Test func migrationVersionsStrictlyIncrease() {
        let versions = Migrations.all.map(\.version)
        #expect(versions == Array(1...versions.count), "\(versions)")
    }

    /// Every migration is applied to a fresh database, the last one's index included.
    @Test(.timeLimit(.minutes(2))) func aFreshDatabaseGetsEveryMigration() async throws {
        let db = try await TestPostgres.database()
        let store = try IndexStore(settings: db.settings, logger: testLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.client.run() }
            try await store.migrate()
            #expect(try await store.schemaVersion() == Migrations.all.last?.version)
            group.cancelAll()
        }
        let pg = try TestPostgres.shared.get()
        #expect(try pg.psql(db, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'citychain' AND indexname = 'transactions_validator_changes'") == "1")
        // The indexer suite runs as a role that is neither superuser nor BYPASSRLS (issue 14 item 7):
        // its COPY works because it owns the tables and row-level security is not forced on it.
        #expect(try pg.psql(db, "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user", asService: true) == "f|f")
        #expect(try pg.psql(db, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'citychain' AND c.relrowsecurity AND NOT c.relforcerowsecurity") == "8")
    }

    /// An indexer that cannot migrate (here: its database's schema is newer than this binary) fails
    /// its run, and everything waiting for its listening address gets that failure instead of
    /// waiting for ever (the heavy suites' stall: a failed migration left `listeningAddress` open).
    @Test(.timeLimit(.minutes(2))) func anIndexerThatCannotMigrateFailsItsWaiters() async throws {
        let db = try await TestPostgres.database()
        let pg = try TestPostgres.shared.get()
        _ = try pg.psql(db, """
            CREATE SCHEMA citychain;
            CREATE TABLE citychain.schema_migrations (version int PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
            INSERT INTO citychain.schema_migrations (version, description) VALUES (9999, 'from a newer indexer')
            """, asService: true)
        let ca = try CertificateAuthority.create()
        let s = IndexerSettings(genesis: F.genesis, postgres: db.settings, validators: [HostPort(host: "127.0.0.1", port: 9)],
                                auditAgency: F.id("audit-office"))
        let runtime = try IndexerRuntime.assemble(settings: s, tls: try TLSIdentity(issued: ca.issue(role: .indexer, name: "indexer-test")),
                                                  host: "127.0.0.1", port: 0, logger: testLogger)
        let run = Task { try await runtime.run() }
        defer { run.cancel() }
        do {
            _ = try await runtime.node.server.listeningAddress
            Issue.record("the indexer bound although it could not migrate its database")
        } catch {
            #expect("\(error)".contains("schema is at version 9999") && "\(error)".contains("run a newer indexer"), "\(error)")
        }
        await #expect(throws: (any Error).self) { try await run.value }
    }
}
