import CityChainAPI
import CityEncoding
import CityIndexer
import CityLedger
import CityPostgres
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The rows the indexer writes for the catch-up blocks, as COPY text, built the way the indexer's
/// writer builds them: the blocks applied to a ledger state (their effects), planned, and written
/// as COPY text by `IndexStore`.
struct IndexBenchRows {
    static let blockColumns = IndexStore.blockColumns
    static let transactionColumns = IndexStore.transactionColumns

    let blocks: ByteBuffer
    let transactions: ByteBuffer
    let rowCount: Int
    let applySeconds: Double
    let planSeconds: Double
    let textSeconds: Double

    init(_ certified: [CertifiedBlock], genesis: Genesis) throws {
        var start = LoadClock.now()
        var state = try LedgerState(genesis: genesis)
        var applied: [(block: CertifiedBlock, outcomes: [TxOutcome])] = []
        applied.reserveCapacity(certified.count)
        // In batches of the indexer's size, hashed once each (LedgerApplier.apply).
        let perBatch = max(1, ChainFollower.maxTransactionsPerWrite / max(1, certified.first?.block.transactions.count ?? 1))
        for start in stride(from: 0, to: certified.count, by: perBatch) {
            let batch = Array(certified[start..<min(certified.count, start + perBatch)])
            applied += zip(batch, state.applyBlocks(batch.map(\.block), certified: true, signaturesVerified: { _ in true })).map { (block: $0, outcomes: $1) }
            guard state.stateRoot == batch.last!.block.header.stateRoot else { throw BenchFailure("applying up to block \(batch.last!.height) gave another state root") }
        }
        applySeconds = Double(LoadClock.now() - start) / 1e9
        start = LoadClock.now()
        let plan = IndexPlan(applied, sensitivity: { state.dataset($0)?.sensitivity })
        planSeconds = Double(LoadClock.now() - start) / 1e9
        start = LoadClock.now()
        blocks = IndexStore.copyBlocks(plan)
        transactions = IndexStore.copyTransactions(plan, json: true)
        textSeconds = Double(LoadClock.now() - start) / 1e9
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
        try await PostgresConnection.connect(configuration: try settings.connectionConfiguration(), id: 1, logger: logger)
    }

    /// COPY `rows` into fresh scratch tables without and with indexes; `build` is the time to
    /// build the indexer's indexes on the plain tables afterwards (PostgreSQL's other bulk path).
    func run(_ rows: IndexBenchRows, runs: Int, keepScratch: Bool) async throws -> (plain: Run, indexed: Run, noGIN: Run, build: Double) {
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
            var build = Double.infinity
            for _ in 0..<max(1, runs) {
                for suffix in ["plain", "indexed", "nogin"] {
                    try await conn.query("TRUNCATE citychain_bench.blocks_\(unescaped: suffix), citychain_bench.transactions_\(unescaped: suffix)", logger: logger)
                    let r = try await copy(rows, suffix: suffix, on: conn)
                    if best[suffix].map({ r.seconds < $0.seconds }) ?? true { best[suffix] = r }
                    if suffix == "plain" { build = min(build, try await buildIndexes(on: conn)) }
                }
            }
            let (plain, indexed, noGIN) = (best["plain"]!, best["indexed"]!, best["nogin"]!)
            if !keepScratch { try await conn.query("DROP SCHEMA citychain_bench CASCADE", logger: logger) }
            try await conn.close()
            return (plain, indexed, noGIN, build)
        } catch {
            try? await conn.close()
            throw error
        }
    }

    /// Builds the indexer's indexes (as `pg_indexes` lists them) on the plain scratch tables, in one
    /// transaction, committed; returns the seconds; then drops them for the next run.
    private func buildIndexes(on conn: PostgresConnection) async throws -> Double {
        var defs: [String] = []
        for try await (table, def) in try await conn.query("""
            SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'citychain' AND tablename IN ('blocks', 'transactions') ORDER BY indexname
            """, logger: logger).decode((String, String).self) {
            guard let on = def.range(of: " ON citychain.\(table) "), let index = def.range(of: " INDEX ") else { continue }
            defs.append(def[..<index.upperBound] + "bench_build_\(defs.count) ON citychain_bench.\(table)_plain " + def[on.upperBound...])
        }
        let start = LoadClock.now()
        try await conn.query("BEGIN", logger: logger)
        for d in defs { try await conn.query(PostgresQuery(unsafeSQL: d), logger: logger) }
        try await conn.query("COMMIT", logger: logger)
        let seconds = Double(LoadClock.now() - start) / 1e9
        for i in defs.indices { try await conn.query(PostgresQuery(unsafeSQL: "DROP INDEX citychain_bench.bench_build_\(i)"), logger: logger) }
        return seconds
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
