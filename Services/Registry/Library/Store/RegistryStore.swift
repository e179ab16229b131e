import CityChainAPI
import CityEncoding
import Logging
import NIOCore
import CityNode
import CityPostgres
import PostgresNIO

/// The directory in PostgreSQL (schema `registry`). Every time comes from the database's clock,
/// so registry replicas agree on leases; every change bumps `registry.head.revision` in its own
/// transaction, so a watcher on any replica sees changes made through another. All SQL binds its
/// parameters: an id full of quotes is just an id.
package final class RegistryStore: Sendable {
    package let client: PostgresClient
    let logger: Logger

    /// Where the database is (its errors explained by `PostgresURL.explain`).
    package let url: RegistryDatabase

    /// A pool of 4 connections; throws when the URL's TLS settings cannot be used.
    package init(settings: RegistryDatabase, logger: Logger) throws(PostgresURLError) {
        client = PostgresClient(configuration: try settings.clientConfiguration(maximumConnections: 4), backgroundLogger: logger)
        url = settings
        self.logger = logger
    }

    /// What a heartbeat or deregistration found.
    package enum Outcome: Sendable, Equatable {
        /// Done (a heartbeat returns the renewed entry).
        case done(ServiceEntry?)
        /// No live entry with this key: it expired, was removed, or never was.
        case notFound
        /// A live entry with this key belongs to another certificate.
        case otherHolder
    }

    /// The current database time in ms since the epoch (a SQL fragment).
    static let nowMillis = "(extract(epoch from now()) * 1000)::bigint"
    static let columns = "kind, id, address, fingerprint, node_key, detail, lease_ms, registered_at_ms, expires_at_ms"

    // MARK: - Schema

    /// Runs the migrations not yet applied, in one transaction under an advisory lock taken before
    /// anything else: replicas starting at once against a fresh database wait for each other
    /// (concurrent `CREATE SCHEMA IF NOT EXISTS` can otherwise fail on a unique index). Refuses
    /// a schema newer than this binary.
    package func migrate() async throws {
        do throws(PostgresLinkError) { try await url.checkLink(logger: logger) } catch {
            throw RegistryError(.database, "cannot use the registry's database: \(error.message) (--postgres)")
        }
        let latest = RegistryMigrations.all.last?.version ?? 0
        try await client.guardedTransaction("the registry's migrations", logger: logger) { [logger] c in
            try await c.query("SELECT pg_advisory_xact_lock(7243101)", logger: logger)
            try await c.query("CREATE SCHEMA IF NOT EXISTS registry", logger: logger)
            try await c.query("""
                CREATE TABLE IF NOT EXISTS registry.schema_migrations (
                    version int PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            let applied = try await c.query("SELECT max(version) FROM registry.schema_migrations", logger: logger)
            var current = 0
            for try await v in applied.decode(Int?.self) { current = v ?? 0 }
            if current > latest {
                throw RegistryError(.database, "the registry schema is at version \(current) but this registry knows only up to \(latest); run a newer registry")
            }
            for m in RegistryMigrations.all where m.version > current {
                for statement in m.statements { try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await c.query("INSERT INTO registry.schema_migrations (version, description) VALUES (\(m.version), \(m.description))",
                                  logger: logger)
                logger.info("migration applied", metadata: ["migration.version": "\(m.version)", "migration": "\(m.description)"])
            }
        }
    }

    // MARK: - Writes

    /// Inserts or replaces the entry of `r.key`; its lease starts now. Keeps the first
    /// registration time while the same certificate re-registers a live entry (a failover).
    package func register(_ r: RegisterRequest) async throws -> ServiceEntry {
        try await client.guardedTransaction("the registration of \(r.key)", logger: logger) { [logger] c in
            let revision = try await Self.bump(c, logger)
            let rows = try await c.query("""
                INSERT INTO registry.services AS s (\(unescaped: Self.columns), revision)
                SELECT \(Int16(r.kind.rawValue)), \(r.id), \(r.address), \(Self.buffer(r.certificateFingerprint.bytes)),
                       \(Self.buffer(r.nodeKey)), \(r.detail), \(Int64(r.leaseMillis)), t.now_ms, t.now_ms + \(Int64(r.leaseMillis)), \(revision)
                FROM (SELECT \(unescaped: Self.nowMillis) AS now_ms) t
                ON CONFLICT (kind, id) DO UPDATE SET
                    address = EXCLUDED.address, fingerprint = EXCLUDED.fingerprint, node_key = EXCLUDED.node_key,
                    detail = EXCLUDED.detail, lease_ms = EXCLUDED.lease_ms, expires_at_ms = EXCLUDED.expires_at_ms,
                    revision = EXCLUDED.revision,
                    registered_at_ms = CASE WHEN s.fingerprint = EXCLUDED.fingerprint AND s.expires_at_ms > EXCLUDED.registered_at_ms
                                            THEN s.registered_at_ms ELSE EXCLUDED.registered_at_ms END
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            for try await row in rows { return try Self.entry(row) }
            throw RegistryError(.database, "the registration of \(r.key) returned no row")
        }
    }

    /// Extends the live lease of `key` held by `fingerprint` by its lease length (no revision bump:
    /// a renewal is not a change of the directory).
    package func heartbeat(_ key: ServiceKey, fingerprint: Hash32) async throws -> Outcome {
        let rows = try await client.query("""
            UPDATE registry.services SET expires_at_ms = \(unescaped: Self.nowMillis) + lease_ms
            WHERE kind = \(Int16(key.kind.rawValue)) AND id = \(key.id) AND fingerprint = \(Self.buffer(fingerprint.bytes))
              AND expires_at_ms > \(unescaped: Self.nowMillis)
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        for try await row in rows { return .done(try Self.entry(row)) }
        return try await holderOutcome(key)
    }

    /// Removes the entry of `key` held by `fingerprint`.
    package func deregister(_ key: ServiceKey, fingerprint: Hash32) async throws -> Outcome {
        let removed: Bool = try await client.guardedTransaction("the deregistration of \(key)", logger: logger) { [logger] c in
            let rows = try await c.query("""
                DELETE FROM registry.services
                WHERE kind = \(Int16(key.kind.rawValue)) AND id = \(key.id) AND fingerprint = \(Self.buffer(fingerprint.bytes))
                RETURNING expires_at_ms
                """, logger: logger)
            var any = false
            for try await _ in rows { any = true }
            if any { _ = try await Self.bump(c, logger) }
            return any
        }
        return removed ? .done(nil) : try await holderOutcome(key)
    }

    /// Deletes entries whose lease ran out more than `graceMillis` ago; returns how many.
    package func purgeExpired(graceMillis: UInt64) async throws -> Int {
        let rows = try await client.query("""
            DELETE FROM registry.services WHERE expires_at_ms < \(unescaped: Self.nowMillis) - \(Int64(graceMillis)) RETURNING 1
            """, logger: logger)
        var n = 0
        for try await _ in rows { n += 1 }
        return n
    }

    // MARK: - Reads

    /// The revision and the database clock.
    package func head() async throws -> (revision: UInt64, nowMillis: UInt64) {
        let rows = try await client.query("SELECT revision, \(unescaped: Self.nowMillis) FROM registry.head WHERE id = 1", logger: logger)
        for try await (rev, now) in rows.decode((Int64, Int64).self) { return (UInt64(rev), UInt64(now)) }
        throw RegistryError(.database, "registry.head has no row; the schema is damaged: restore it or migrate a fresh database")
    }

    /// Live entries (lease not run out) of `kind`, or of every kind.
    package func live(kind: ServiceKind?) async throws -> LookupAnswer {
        let (revision, now) = try await head()
        let limit = RegistryAPI.maxEntriesPerAnswer
        let rows: PostgresRowSequence
        if let kind {
            rows = try await client.query("""
                SELECT \(unescaped: Self.columns) FROM registry.services
                WHERE expires_at_ms > \(Int64(now)) AND kind = \(Int16(kind.rawValue)) ORDER BY kind, id LIMIT \(limit)
                """, logger: logger)
        } else {
            rows = try await client.query("""
                SELECT \(unescaped: Self.columns) FROM registry.services WHERE expires_at_ms > \(Int64(now)) ORDER BY kind, id LIMIT \(limit)
                """, logger: logger)
        }
        var entries: [ServiceEntry] = []
        for try await row in rows { entries.append(try Self.entry(row)) }
        return LookupAnswer(registryTimeMillis: now, revision: revision, entries: entries)
    }

    /// Every stored entry, live or expired but not yet purged.
    package func all() async throws -> LookupAnswer {
        let (revision, now) = try await head()
        let rows = try await client.query("""
            SELECT \(unescaped: Self.columns) FROM registry.services ORDER BY kind, id LIMIT \(RegistryAPI.maxEntriesPerAnswer)
            """, logger: logger)
        var entries: [ServiceEntry] = []
        for try await row in rows { entries.append(try Self.entry(row)) }
        return LookupAnswer(registryTimeMillis: now, revision: revision, entries: entries)
    }

    // MARK: - Helpers

    private func holderOutcome(_ key: ServiceKey) async throws -> Outcome {
        let rows = try await client.query("""
            SELECT expires_at_ms > \(unescaped: Self.nowMillis) FROM registry.services WHERE kind = \(Int16(key.kind.rawValue)) AND id = \(key.id)
            """, logger: logger)
        for try await live in rows.decode(Bool.self) { return live ? .otherHolder : .notFound }
        return .notFound
    }

    private static func bump(_ c: PostgresConnection, _ logger: Logger) async throws -> Int64 {
        let rows = try await c.query("UPDATE registry.head SET revision = revision + 1 WHERE id = 1 RETURNING revision", logger: logger)
        for try await rev in rows.decode(Int64.self) { return rev }
        throw RegistryError(.database, "registry.head has no row; the schema is damaged: restore it or migrate a fresh database")
    }

    static func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    /// An entry from a row of `columns`, checked as a decoder would (the database is not trusted
    /// to hold only what this code wrote).
    static func entry(_ row: PostgresRow) throws -> ServiceEntry {
        let (kind, id, address, fingerprint, nodeKey, detail, lease, registered, expires) =
            try row.decode((Int16, String, String, ByteBuffer, ByteBuffer, String, Int64, Int64, Int64).self)
        guard let k = UInt8(exactly: kind).flatMap(ServiceKind.init(rawValue:)),
              let fp = Hash32(bytes: Array(buffer: fingerprint)) else {
            throw RegistryError(.database, "registry.services holds a row (\(kind), '\(id)') with an unknown kind or a bad fingerprint; delete the row")
        }
        let e = ServiceEntry(kind: k, id: id, address: address, certificateFingerprint: fp, nodeKey: Array(buffer: nodeKey),
                             leaseMillis: UInt64(max(lease, 0)), registeredAtMillis: UInt64(max(registered, 0)),
                             expiresAtMillis: UInt64(max(expires, 0)), detail: detail)
        do { return try ServiceEntry(canonicalBytes: e.canonicalBytes) } catch {
            throw RegistryError(.database, "registry.services holds an invalid row for \(e.key): \(error); delete the row")
        }
    }
}
