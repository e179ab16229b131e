import CityChainAPI
import CityEncoding
import CityIndexer
import CityLedger
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The rows the indexer writes for the catch-up blocks, as COPY text, built the way
/// `IndexStore.write` builds them (`IndexStore.copyBlocks` / `copyTransactions` are internal to
/// the indexer, so their column order and encoding are repeated here with the same `CopyText`).
struct IndexBenchRows {
    static let blockColumns = ["height", "hash", "previous_hash", "time_ms", "tx_count", "header", "certificate", "evidence", "leaf_hashes"]
    static let transactionColumns = ["id", "height", "idx", "time_ms", "signer_agency", "signer_key", "operation", "dataset", "subject",
                                     "version", "deleted", "payload_hash", "payload_json", "tx"]

    let blocks: ByteBuffer
    let transactions: ByteBuffer
    let rowCount: Int
    let planSeconds: Double
    let textSeconds: Double

    init(_ certified: [CertifiedBlock]) {
        var start = LoadClock.now()
        let plan = IndexPlan(blocks: certified, versions: [:], sensitivity: { $0 == IndexBenchChain.parking ? .public : nil })
        planSeconds = Double(LoadClock.now() - start) / 1e9
        start = LoadClock.now()
        var b = CopyText(capacity: plan.blocks.reduce(0) { $0 + 2 * ($1.header.count + $1.certificate.count + $1.leafHashes.count) + 256 })
        for r in plan.blocks {
            b.int(Int64(r.height)); b.hash(r.hash); b.hash(r.previousHash); b.int(Int64(r.timeMillis)); b.int(r.transactionCount)
            b.bytes(r.header); b.bytes(r.certificate); b.bytes(r.evidence); b.bytes(r.leafHashes)
            b.endRow()
        }
        var t = CopyText(capacity: plan.transactions.reduce(0) { $0 + 2 * $1.bytes.count + ($1.json?.utf8.count ?? 0) + 256 })
        for r in plan.transactions {
            t.hash(r.id.hash); t.int(Int64(r.height)); t.int(r.index); t.int(Int64(r.timeMillis)); t.text(r.signer.agency.value)
            t.int(Int64(r.signer.keyID.value)); t.text(r.operation); t.text(r.dataset?.value); t.text(r.subject?.value)
            t.int(r.version.map { Int64($0) }); t.bool(r.deleted); t.hash(r.payloadHash); t.text(r.json); t.bytes(r.bytes)
            t.endRow()
        }
        textSeconds = Double(LoadClock.now() - start) / 1e9
        blocks = b.buffer
        transactions = t.buffer
        rowCount = plan.transactions.count
    }
}

/// PostgreSQL's own COPY rate for the rows the indexer wrote: the same COPY text into scratch
/// tables `LIKE` the indexer's (schema `citychain_bench`, dropped afterwards), without indexes and
/// with the same indexes and constraints, and with those but the jsonb GIN index, each in one
/// transaction on one connection.
struct IndexBenchCopy {
    struct Run {
        /// BEGIN through the end of COPY of both tables.
        var copySeconds: Double
        /// COMMIT.
        var commitSeconds: Double
        var seconds: Double { copySeconds + commitSeconds }
    }

    let settings: PostgresSettings
    let logger: Logger

    func connect() async throws -> PostgresConnection {
        let c = PostgresConnection.Configuration(host: settings.host, port: settings.port, username: settings.user,
                                                 password: settings.password, database: settings.database, tls: .disable)
        return try await PostgresConnection.connect(configuration: c, id: 1, logger: logger)
    }

    /// COPY `rows` into fresh scratch tables without and with indexes.
    func run(_ rows: IndexBenchRows, runs: Int, keepScratch: Bool) async throws -> (plain: Run, indexed: Run, noGIN: Run) {
        let conn = try await connect()
        do {
            try await conn.query("DROP SCHEMA IF EXISTS citychain_bench CASCADE", logger: logger)
            try await conn.query("CREATE SCHEMA citychain_bench", logger: logger)
            try await conn.query("CREATE TABLE citychain_bench.blocks_plain (LIKE citychain.blocks)", logger: logger)
            try await conn.query("CREATE TABLE citychain_bench.transactions_plain (LIKE citychain.transactions)", logger: logger)
            try await conn.query("CREATE TABLE citychain_bench.blocks_indexed (LIKE citychain.blocks INCLUDING ALL)", logger: logger)
            try await conn.query("CREATE TABLE citychain_bench.transactions_indexed (LIKE citychain.transactions INCLUDING ALL)", logger: logger)
            // The same indexes but the jsonb GIN one, to tell what that index costs.
            try await conn.query("CREATE TABLE citychain_bench.blocks_nogin (LIKE citychain.blocks INCLUDING ALL)", logger: logger)
            try await conn.query("CREATE TABLE citychain_bench.transactions_nogin (LIKE citychain.transactions INCLUDING ALL)", logger: logger)
            var gin: [String] = []
            for try await name in try await conn.query("""
                SELECT indexname FROM pg_indexes WHERE schemaname = 'citychain_bench' AND tablename = 'transactions_nogin'
                  AND indexdef LIKE '% USING gin %'
                """, logger: logger).decode(String.self) { gin.append(name) }
            for name in gin { try await conn.query(PostgresQuery(unsafeSQL: "DROP INDEX citychain_bench.\"\(name)\""), logger: logger) }
            // Each variant `runs` times into the emptied table (TRUNCATE: fresh, empty indexes); the fastest counts.
            var best: [String: Run] = [:]
            for _ in 0..<max(1, runs) {
                for suffix in ["plain", "indexed", "nogin"] {
                    try await conn.query("TRUNCATE citychain_bench.blocks_\(unescaped: suffix), citychain_bench.transactions_\(unescaped: suffix)", logger: logger)
                    let r = try await copy(rows, suffix: suffix, on: conn)
                    if best[suffix].map({ r.seconds < $0.seconds }) ?? true { best[suffix] = r }
                }
            }
            let (plain, indexed, noGIN) = (best["plain"]!, best["indexed"]!, best["nogin"]!)
            if !keepScratch { try await conn.query("DROP SCHEMA citychain_bench CASCADE", logger: logger) }
            try await conn.close()
            return (plain, indexed, noGIN)
        } catch {
            try? await conn.close()
            throw error
        }
    }

    private func copy(_ rows: IndexBenchRows, suffix: String, on conn: PostgresConnection) async throws -> Run {
        // A checkpoint first, so that one does not land inside the timed COPY (superusers only; else skipped).
        _ = try? await conn.query("CHECKPOINT", logger: logger)
        let start = LoadClock.now()
        try await conn.query("BEGIN", logger: logger)
        try await conn.copyFrom(table: "citychain_bench\".\"blocks_\(suffix)", columns: IndexBenchRows.blockColumns, logger: logger) { w in
            try await w.write(rows.blocks)
        }
        try await conn.copyFrom(table: "citychain_bench\".\"transactions_\(suffix)", columns: IndexBenchRows.transactionColumns,
                                logger: logger) { w in
            try await w.write(rows.transactions)
        }
        let copied = LoadClock.now()
        try await conn.query("COMMIT", logger: logger)
        let committed = LoadClock.now()
        let count = try await conn.query("SELECT count(*) FROM citychain_bench.transactions_\(unescaped: suffix)", logger: logger)
        for try await n in count.decode(Int64.self) where Int(n) != rows.rowCount {
            throw BenchFailure("the scratch table transactions_\(suffix) holds \(n) rows, not \(rows.rowCount)")
        }
        return Run(copySeconds: Double(copied - start) / 1e9, commitSeconds: Double(committed - copied) / 1e9)
    }
}
