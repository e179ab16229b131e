import CityChainAPI
import CityEncoding
import CityLedger
import CityNode
import CityPostgres
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The index in PostgreSQL: migrations, the gated batch write, and the reads the queries and the
/// proven state need. All SQL binds its parameters (nothing from a request is spliced into text).
package final class IndexStore: Sendable {
    package let client: PostgresClient
    let logger: Logger
    /// `user@host:port/database`, for errors.
    let target: String
    /// Proof material of recently proven blocks (a block never changes once indexed).
    /// `proofCacheBlocks` of them: 2,048 blocks of 1,000 transactions are about 130 MB of header,
    /// certificate and Merkle subtrees, enough that point queries spread over a 1M-record chain
    /// in blocks of 1,000 read each block's leaf hashes from PostgreSQL once (256 missed most).
    static let proofCacheBlocks = 2048
    let proofCache = BoundedCache<UInt64, ProofMaterial>(capacity: IndexStore.proofCacheBlocks)
    /// The rows of the transactions written last (about 48 MB at most for payloads of ~500 bytes):
    /// a point query of a recently written record reads no SQL.
    let recentTransactions = BoundedCache<TransactionID, StoredTransaction>(capacity: 65_536)
    /// How many batches with erasures were written (`erased()`): caches of stored rows (these, the
    /// feeds' pages and proofs, the prehistory's blocks) drop what they hold when it moves.
    private let erasures = Atomic<UInt64>(0)

    /// Hot-standby replicas the queries' reads may go to (`--postgres-read`; none by default).
    package let replicas: ReadReplicas

    /// Where the primary is (its errors explained by `PostgresURL.explain`).
    let url: PostgresSettings

    /// Throws when a URL's TLS settings cannot be used (e.g. an unreadable sslrootcert).
    package init(settings: PostgresSettings, readReplicas: [PostgresSettings] = [], replicaReadTimeout: Duration = .seconds(5), logger: Logger) throws(PostgresURLError) {
        client = PostgresClient(configuration: try settings.indexerClient(), backgroundLogger: logger)
        replicas = try ReadReplicas(readReplicas, readTimeout: replicaReadTimeout, logger: logger)
        self.logger = logger
        url = settings
        target = settings.target
    }

    /// Runs the primary's pool and the replicas' (with their head polls) until cancelled.
    package func runClients() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.client.run() }
            group.addTask { await self.replicas.run() }
        }
    }

    // MARK: - Schema

    /// Runs the migrations not yet applied, in order, each in its own transaction under an advisory
    /// lock (two indexers starting at once do not both migrate). Refuses a database whose schema
    /// is newer than this binary.
    package func migrate() async throws {
        do throws(PostgresLinkError) { try await url.checkLink(logger: logger) } catch {
            throw IndexerError(.database, "cannot use the index database: \(error.message) (--postgres)")
        }
        do {
            try await client.query("CREATE SCHEMA IF NOT EXISTS citychain", logger: logger)
        } catch {
            throw IndexerError(.database, "cannot use the index database: \(url.explain(error)) (--postgres)")
        }
        try await client.query("""
            CREATE TABLE IF NOT EXISTS citychain.schema_migrations (
                version int PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
        let latest = Migrations.all.last?.version ?? 0
        for m in Migrations.all {
            try await client.guardedTransaction("migration \(m.version)", logger: logger) { [logger] c in
                try await c.query("SELECT pg_advisory_xact_lock(7243001)", logger: logger)
                let applied = try await c.query("SELECT max(version) FROM citychain.schema_migrations", logger: logger)
                var current = 0
                for try await v in applied.decode(Int?.self) { current = v ?? 0 }
                if current > latest {
                    throw IndexerError(.database, "the database schema is at version \(current) but this indexer knows only up to \(latest); run a newer indexer")
                }
                guard current < m.version else { return }
                for statement in m.statements { try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await c.query("INSERT INTO citychain.schema_migrations (version, description) VALUES (\(m.version), \(m.description))",
                                  logger: logger)
                logger.info("migration applied", metadata: ["migration.version": "\(m.version)", "migration": "\(m.description)"])
            }
        }
    }

    /// The schema version applied.
    package func schemaVersion() async throws -> Int {
        let rows = try await client.query("SELECT coalesce(max(version), 0) FROM citychain.schema_migrations", logger: logger)
        for try await v in rows.decode(Int.self) { return v }
        return 0
    }

    // MARK: - Head

    /// The tracker of the last indexed block; at first start, writes genesis (its agencies and
    /// datasets) and returns the genesis tracker. Refuses a database holding another chain.
    package func openHead(genesis: Genesis) async throws -> ChainTracker {
        let genesisTracker = try ChainTracker(genesis: genesis)
        return try await client.guardedTransaction("opening the index head", logger: logger) { [logger] c in
            try await c.query("SELECT pg_advisory_xact_lock(7243002)", logger: logger)
            let rows = try await c.query("SELECT chain_id, genesis_hash, tracker FROM citychain.index_head WHERE id = 1", logger: logger)
            for try await (chain, hash, tracker) in rows.decode((String, ByteBuffer, ByteBuffer).self) {
                guard chain == genesis.chainID, Array(buffer: hash) == genesis.hash.bytes else {
                    throw IndexerError(.database, "this database indexes chain '\(chain)' (genesis \(Hex.encode(Array(buffer: hash)))), not '\(genesis.chainID)' (genesis \(genesis.hash)); point the indexer at another database")
                }
                do { return try ChainTracker(canonicalBytes: Array(buffer: tracker)) } catch {
                    throw IndexerError(.database, "the stored chain position does not decode (\(error)); reindex into a fresh database")
                }
            }
            try await c.query("""
                INSERT INTO citychain.index_head (id, chain_id, genesis_hash, height, block_hash, tracker)
                VALUES (1, \(genesis.chainID), \(Self.buffer(genesis.hash.bytes)), 0, \(Self.buffer(genesis.hash.bytes)),
                        \(Self.buffer(genesisTracker.canonicalBytes)))
                """, logger: logger)
            for a in genesis.agencies {
                try await c.query("""
                    INSERT INTO citychain.agencies (id, name, is_admin, registered_height) VALUES (\(a.id.value), \(a.name), \(a.isAdmin), 0)
                    """, logger: logger)
            }
            for d in genesis.datasets {
                try await c.query("""
                    INSERT INTO citychain.datasets (id, owner, sensitivity, schema_name, writers, created_height)
                    VALUES (\(d.id.value), \(d.owner.value), \(d.sensitivity.jsonName), \(d.schema), \(d.writers.map(\.value)), 0)
                    """, logger: logger)
            }
            return genesisTracker
        }
    }

    /// The erasure epoch: moves after each written batch that erased payloads.
    package var erasureEpoch: UInt64 { erasures.load(ordering: .acquiring) }

    /// A batch that erased payloads is written: every cache of stored rows goes stale.
    package func erased() {
        recentTransactions.removeAll()
        erasures.add(1, ordering: .releasing)
    }

    /// Indexed height and hash.
    package func head() async throws -> (height: UInt64, hash: Hash32) {
        let rows = try await client.query("SELECT height, block_hash FROM citychain.index_head WHERE id = 1", logger: logger)
        for try await (h, hash) in rows.decode((Int64, ByteBuffer).self) { return (UInt64(h), try Self.hash(hash)) }
        return (0, .zero)
    }

    // MARK: - Batch write

    /// Writes `plan` and moves the head from `from` to `to` in one transaction, only if the head is
    /// still at `from` (so a crash leaves the index at a prefix of the chain, and a second writer
    /// cannot interleave). `queryableJSON: false` writes no `jsonb` (the fallback when PostgreSQL
    /// refuses a payload the planner let through).
    package func write(_ plan: IndexPlan, from: ChainTracker, to: ChainTracker, queryableJSON: Bool = true) async throws {
        try await write(PreparedWrite(plan, queryableJSON: queryableJSON), from: from, to: to)
    }

    /// A batch ready for PostgreSQL: its plan and COPY text, made off the writer's path.
    package struct PreparedWrite: Sendable {
        package let plan: IndexPlan
        let blocks: ByteBuffer
        let transactions: ByteBuffer

        package init(_ plan: IndexPlan, queryableJSON: Bool = true) {
            self.plan = plan
            blocks = IndexStore.copyBlocks(plan)
            transactions = IndexStore.copyTransactions(plan, json: queryableJSON)
        }
    }

    /// Writes a prepared batch (see `write(_:from:to:queryableJSON:)`).
    package func write(_ prepared: PreparedWrite, from: ChainTracker, to: ChainTracker) async throws {
        let (plan, blocks, txs) = (prepared.plan, prepared.blocks, prepared.transactions)
        try await client.guardedTransaction("the write of blocks \(from.height + 1)...\(to.height)", logger: logger) { [logger] c in
            let moved = try await c.query("""
                UPDATE citychain.index_head SET height = \(Int64(to.height)), block_hash = \(Self.buffer(to.lastHash.bytes)),
                       tracker = \(Self.buffer(to.canonicalBytes)), updated_at = now()
                WHERE id = 1 AND height = \(Int64(from.height)) AND block_hash = \(Self.buffer(from.lastHash.bytes))
                RETURNING height
                """, logger: logger)
            var count = 0
            for try await _ in moved.decode(Int64.self) { count += 1 }
            guard count == 1 else {
                throw IndexerError(.database, "the index head moved away from height \(from.height) while this indexer wrote: another indexer writes to this database; give each indexer its own database")
            }
            try await c.copyFrom(table: Self.copyTable("blocks"), columns: Self.blockColumns, logger: logger) { w in
                try await w.write(blocks)
            }
            if !plan.transactions.isEmpty {
                try await c.copyFrom(table: Self.copyTable("transactions"), columns: Self.transactionColumns, logger: logger) { w in
                    try await w.write(txs)
                }
            }
            for change in plan.changes { try await Self.apply(change, on: c, logger: logger) }
        }
    }

    /// Writes one change to the small tables (datasets, agencies, grants).
    static func apply(_ change: IndexPlan.Change, on c: PostgresConnection, logger: Logger) async throws {
        switch change {
        case let .dataset(id, owner, level, schema, writers, h):
            try await c.query("""
                INSERT INTO citychain.datasets (id, owner, sensitivity, schema_name, writers, created_height)
                VALUES (\(id.value), \(owner.value), \(level.jsonName), \(schema), \(writers.map(\.value)), \(Int64(h)))
                ON CONFLICT (id) DO NOTHING
                """, logger: logger)
        case let .agency(id, name, isAdmin, h):
            try await c.query("""
                INSERT INTO citychain.agencies (id, name, is_admin, registered_height) VALUES (\(id.value), \(name), \(isAdmin), \(Int64(h)))
                ON CONFLICT (id) DO NOTHING
                """, logger: logger)
        case let .grant(d, grantee, expires, expiresMillis, purpose, h):
            try await c.query("""
                INSERT INTO citychain.grants (dataset, grantee, expires_at_height, expires_at_ms, purpose, granted_height, revoked_height)
                VALUES (\(d.value), \(grantee.value), \(Int64(clamping: expires)), \(Int64(clamping: expiresMillis)), \(purpose), \(Int64(h)), NULL)
                ON CONFLICT (dataset, grantee) DO UPDATE SET expires_at_height = EXCLUDED.expires_at_height,
                    expires_at_ms = EXCLUDED.expires_at_ms,
                    purpose = EXCLUDED.purpose, granted_height = EXCLUDED.granted_height, revoked_height = NULL
                """, logger: logger)
        case let .revoke(d, grantee, h):
            try await c.query("""
                UPDATE citychain.grants SET revoked_height = \(Int64(h)) WHERE dataset = \(d.value) AND grantee = \(grantee.value)
                """, logger: logger)
        case let .erase(d, s, h):
            try await erase(dataset: d, subject: s, before: h, on: c, logger: logger)
        }
    }

    /// Drops the payloads of the record's versions written below `height` (an `eraseRecord` there):
    /// each stored transaction is rewritten with its payload erased (`SignedTransaction.erasingPayload`:
    /// its id, signatures and Merkle leaf unchanged) and its queryable JSON cleared. Dead row
    /// versions keep the old bytes until VACUUM (docs/OPERATIONS.md, "Erasure").
    static func erase(dataset: DatasetID, subject: SubjectKey, before height: UInt64, on c: PostgresConnection,
                      logger: Logger) async throws {
        let rows = try await c.query("""
            SELECT id, tx FROM citychain.transactions
            WHERE dataset = \(dataset.value) AND subject = \(subject.value) AND operation = 'putRecord' AND height < \(Int64(height))
            """, logger: logger)
        var rewritten: [(ByteBuffer, ByteBuffer)] = []
        for try await (id, bytes) in rows.decode((ByteBuffer, ByteBuffer).self) {
            let tx: SignedTransaction
            do { tx = try SignedTransaction(canonicalBytes: Array(buffer: bytes)) } catch {
                throw IndexerError(.database, "a stored transaction of \(dataset)/\(subject) does not decode (\(error)); the index is damaged: reindex")
            }
            guard !tx.payloadErased else { continue }
            rewritten.append((id, buffer(tx.erasingPayload.canonicalBytes)))
        }
        for (id, bytes) in rewritten {
            try await c.query("UPDATE citychain.transactions SET tx = \(bytes), payload_json = NULL WHERE id = \(id)", logger: logger)
        }
        logger.info("erased record payloads", metadata: [
            "dataset": "\(dataset)", "subject": "\(subject)", "chain.height": "\(height)", "index.rewritten": "\(rewritten.count)"])
    }

    /// The block rows of `plan` as COPY text (columns `blockColumns`).
    package static func copyBlocks(_ plan: IndexPlan) -> ByteBuffer {
        var t = CopyText(capacity: plan.blocks.reduce(0) { $0 + 2 * ($1.header.count + $1.certificate.count + $1.leafHashes.count) + 256 })
        for b in plan.blocks {
            t.int(Int64(b.height)); t.hash(b.hash); t.hash(b.previousHash); t.int(Int64(b.timeMillis)); t.int(b.transactionCount)
            t.bytes(b.header); t.bytes(b.certificate); t.bytes(b.evidence); t.bytes(b.leafHashes)
            t.endRow()
        }
        return t.buffer
    }

    /// The transaction rows of `plan` as COPY text (columns `transactionColumns`).
    package static func copyTransactions(_ plan: IndexPlan, json: Bool) -> ByteBuffer {
        var t = CopyText(capacity: plan.transactions.reduce(0) { $0 + 2 * $1.bytes.count + ($1.json?.utf8.count ?? 0) + 256 })
        for r in plan.transactions {
            t.hash(r.id.hash); t.int(Int64(r.height)); t.int(r.index); t.int(Int64(r.timeMillis)); t.text(r.signer.agency.value)
            t.int(Int64(r.signer.keyID.value)); t.text(r.operation); t.text(r.dataset?.value); t.text(r.subject?.value)
            t.int(r.version.map { Int64($0) }); t.bool(r.deleted); t.hash(r.payloadHash); t.text(json ? r.json : nil); t.bytes(r.bytes)
            t.endRow()
        }
        return t.buffer
    }

    // MARK: - Bulk catch-up

    /// Drops every index and unique or primary-key constraint of `citychain.transactions`, keeping
    /// their definitions in `citychain.deferred_indexes`, in one transaction: far behind, COPY into
    /// the bare table is the faster bulk path (exactly once still holds: the head gate, not the
    /// indexes, orders the writes). Does nothing when they are already deferred.
    package func deferIndexes() async throws {
        try await client.query("""
            DO $$ DECLARE r record; BEGIN
                PERFORM pg_advisory_xact_lock(7243004);
                IF EXISTS (SELECT 1 FROM citychain.deferred_indexes) THEN RETURN; END IF;
                FOR r IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
                         WHERE conrelid = 'citychain.transactions'::regclass AND contype IN ('p', 'u') LOOP
                    INSERT INTO citychain.deferred_indexes VALUES
                        (r.conname, format('ALTER TABLE citychain.transactions ADD CONSTRAINT %I %s', r.conname, r.def), true);
                    EXECUTE format('ALTER TABLE citychain.transactions DROP CONSTRAINT %I', r.conname);
                END LOOP;
                FOR r IN SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'citychain' AND tablename = 'transactions' LOOP
                    INSERT INTO citychain.deferred_indexes VALUES (r.indexname, r.indexdef, false);
                    EXECUTE format('DROP INDEX citychain.%I', r.indexname);
                END LOOP;
            END $$
            """, logger: logger)
    }

    /// Builds the deferred indexes and constraints again, in one transaction (constraints first, so
    /// the primary key is there before the other indexes), and forgets them.
    package func rebuildIndexes() async throws {
        try await client.query("""
            DO $$ DECLARE r record; BEGIN
                PERFORM pg_advisory_xact_lock(7243004);
                FOR r IN SELECT create_sql FROM citychain.deferred_indexes ORDER BY is_constraint DESC, name LOOP
                    EXECUTE r.create_sql;
                END LOOP;
                DELETE FROM citychain.deferred_indexes;
            END $$
            """, logger: logger)
    }

    /// Whether the transactions table's indexes are deferred (a bulk catch-up is under way).
    package func indexesDeferred() async throws -> Bool {
        let rows = try await client.query("SELECT EXISTS (SELECT 1 FROM citychain.deferred_indexes)", logger: logger)
        for try await b in rows.decode(Bool.self) { return b }
        return false
    }

    // MARK: - Helpers

    /// The columns of `copyBlocks`' rows.
    package static let blockColumns = ["height", "hash", "previous_hash", "time_ms", "tx_count", "header", "certificate", "evidence", "leaf_hashes"]
    /// The columns of `copyTransactions`' rows.
    package static let transactionColumns = ["id", "height", "idx", "time_ms", "signer_agency", "signer_key", "operation", "dataset", "subject",
                                             "version", "deleted", "payload_hash", "payload_json", "tx"]

    /// `copyFrom` puts the name in double quotes as one identifier; this makes it `"citychain"."name"`.
    static func copyTable(_ name: String) -> String { "citychain\".\"" + name }

    static func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    static func hash(_ b: ByteBuffer) throws -> Hash32 {
        let bytes = Array(buffer: b)
        guard let h = Hash32(bytes: bytes) else {
            throw IndexerError(.database, "a stored hash is \(bytes.count) bytes, not 32; the index is damaged: reindex")
        }
        return h
    }

    static func decode<T: CanonicalDecodable>(_ b: ByteBuffer, as _: T.Type = T.self, _ what: String) throws -> T {
        do { return try T(canonicalBytes: Array(buffer: b)) } catch {
            throw IndexerError(.database, "a stored \(what) does not decode (\(error)); the index is damaged: reindex into a fresh database")
        }
    }
}

extension IndexStore {
    /// The analyst role of `agency` (docs/INDEX.md, "SQL for analysts").
    package static func analystRole(_ agency: String) -> String { "cc_analyst_" + agency }

    /// Creates the read-only analyst role of every indexed agency that has none (NOLOGIN, member of
    /// `citychain_analyst`; ops grant LOGIN and a password). Needs CREATEROLE; without it, warns.
    package func ensureAnalystRoles() async {
        var missing: [String] = []
        do {
            let rows = try await client.query("""
                SELECT a.id FROM citychain.agencies a
                WHERE NOT EXISTS (SELECT 1 FROM citychain.analyst_roles r WHERE r.agency = a.id) ORDER BY a.id
                """, logger: logger)
            for try await id in rows.decode(String.self) { missing.append(id) }
        } catch {
            logger.warning("analyst roles not checked (the index could not be read)", metadata: ["error": "\(error)"])
            return
        }
        // One agency at a time: a failure for one (logged) leaves the others mapped.
        for id in missing {
            let role = Self.analystRole(id)
            do {
                try await client.guardedTransaction("creating role \(role)", logger: logger) { [logger] c in
                    try await c.query("SELECT pg_advisory_xact_lock(7243003)", logger: logger)
                    let exists = try await c.query("SELECT 1 FROM pg_roles WHERE rolname = \(role)", logger: logger)
                    var found = false
                    for try await _ in exists.decode(Int.self) { found = true }
                    if !found {
                        // Agency ids are [a-z0-9.-] (IdentifierRules); quote_ident makes the name safe regardless.
                        try await c.query("SELECT citychain_create_role(\(role))", logger: logger)
                    }
                    try await c.query("INSERT INTO citychain.analyst_roles (role_name, agency) VALUES (\(role), \(id)) ON CONFLICT DO NOTHING",
                                      logger: logger)
                }
            } catch {
                logger.warning("analyst role not created (the indexer's database user needs CREATEROLE)",
                               metadata: ["agency": "\(id)", "error": "\(error)"])
            }
        }
    }
}
