import ArgumentParser
import CityChainAPI
import CityEncoding
import CityGateway
import CityIndexer
import CityLedger
import CityMerkle
import CityPKI
import CityWire
import Foundation
import Logging
import PostgresNIO

/// `citychain-bench index`: the indexer figures of issue 4, in one process and one run, against a
/// real PostgreSQL: catch-up ingest rate beside PostgreSQL's own COPY rate for the same rows,
/// indexer lag at the validators' commit rate, and point queries with proof at a fixed rate.
/// docs/BENCHMARKS.md, "Indexer (issue 4)"; deploy/bench-index runs it on a private PostgreSQL.
struct IndexBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Catch-up ingest rate (beside PostgreSQL's COPY), live lag and point-query latency of a real indexer.",
        discussion: """
        Builds a synthetic city chain in memory (4 validators of power 10 with random keys, agencies, a public parking dataset; \
        --transactions put-record transactions with JSON payloads, signed for real, in blocks of --per-block certified by 3 of 4), \
        serves it over mutual TLS as a validator's commit stream, and runs a real indexer (IndexerRuntime) against --postgres, \
        which must be empty (or pass --reset to drop a previous run's schema). Then: PostgreSQL's COPY of the same rows into \
        scratch tables (schema citychain_bench, dropped after); --live-blocks blocks of --live-per-block published every \
        --live-interval-ms; --queries-per-second point queries with proof for --query-seconds, every answer verified. \
        Output: readable lines, then one 'bench-index: key=value ...' line.
        """)

    @Option(help: "PostgreSQL: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?sslrootcert=CA.pem (an empty database; sslmode=disable for clear text).") var postgres: String
    @Option(help: "Transactions in the chain the indexer catches up on.") var transactions = 100_000
    @Option(help: "Transactions per catch-up block.") var perBlock = 1000
    @Option(help: "Distinct record subjects written (bay-0 …), so each has about transactions/subjects versions.") var subjects = 5000
    @Option(help: "Point queries per second (open loop).") var queriesPerSecond = 1000.0
    @Option(help: "Seconds of point queries.") var querySeconds = 10.0
    @Option(help: "Connections the querying agency opens to the indexer.") var queryConnections = 4
    @Option(help: "Blocks published after catch-up, at a fixed rate, to measure the indexer's lag.") var liveBlocks = 200
    @Option(help: "Milliseconds between live blocks (250 with 100 per block ≈ 400 tx/s, the 4-validator rate of docs/BENCHMARKS.md).")
    var liveIntervalMs = 250.0
    @Option(help: "Transactions per live block.") var livePerBlock = 100
    @Option(help: "The indexer's most blocks per PostgreSQL transaction while catching up (its --max-blocks-per-write).")
    var maxBlocksPerWrite = 500
    @Option(help: "COPY runs per scratch table (the fastest counts: the box may be shared).") var copyRuns = 2
    @Option(help: "The indexer's --bulk-load-transactions: from this many transactions behind, catch up with the indexes dropped (0: never).")
    var bulkLoadTransactions = 50_000
    @Option(help: "Most seconds to wait for each phase (catch-up, proven state, live drain).") var timeout = 600.0
    @Option(name: .customLong("postgres-read"), help: "A hot-standby replica of --postgres the indexer's queries read (its --postgres-read; repeat).")
    var postgresRead: [String] = []
    @Flag(inversion: .prefixedNo, help: "Start a gateway near the head (and, for comparison, by replay from block 1) and run the point queries through it too.")
    var gateway = true
    @Option(help: "Most seconds the gateway's replay from block 1 may take before it is reported as not done.") var gatewayReplayLimit = 120.0
    @Flag(help: "Drop the schemas of a previous run (citychain, citychain_bench) in --postgres first.") var reset = false
    @Flag(inversion: .prefixedNo, help: "Time the indexer's stages one by one after catch-up (decode, verify, apply, plan, COPY text).")
    var splits = true
    @Flag(help: "Keep the scratch tables (schema citychain_bench).") var keepScratch = false
    @Option(help: "Log level of the indexer and the feed (trace … critical).") var logLevel = "error"

    func validate() throws {
        guard (1...5_000_000).contains(transactions) else { throw ValidationError("--transactions must be in 1...5000000") }
        guard (1...Int(LedgerLimits.maxTransactionsPerBlock)).contains(perBlock) else {
            throw ValidationError("--per-block must be in 1...\(LedgerLimits.maxTransactionsPerBlock)")
        }
        guard (1...1_000_000).contains(subjects) else { throw ValidationError("--subjects must be in 1...1000000") }
        guard queriesPerSecond >= 0, queriesPerSecond <= 100_000 else { throw ValidationError("--queries-per-second must be in 0...100000") }
        guard querySeconds >= 0, querySeconds <= 600 else { throw ValidationError("--query-seconds must be in 0...600") }
        guard (1...16).contains(queryConnections) else { throw ValidationError("--query-connections must be in 1...16") }
        guard (0...100_000).contains(liveBlocks) else { throw ValidationError("--live-blocks must be in 0...100000") }
        guard liveIntervalMs >= 1, liveIntervalMs <= 60_000 else { throw ValidationError("--live-interval-ms must be in 1...60000") }
        guard (1...Int(LedgerLimits.maxTransactionsPerBlock)).contains(livePerBlock) else {
            throw ValidationError("--live-per-block must be in 1...\(LedgerLimits.maxTransactionsPerBlock)")
        }
        guard (1...5000).contains(maxBlocksPerWrite) else { throw ValidationError("--max-blocks-per-write must be in 1...5000") }
        guard (1...10).contains(copyRuns) else { throw ValidationError("--copy-runs must be in 1...10") }
        guard timeout >= 1, timeout <= 3600 else { throw ValidationError("--timeout must be in 1...3600") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be trace, debug, info, notice, warning, error or critical") }
    }

    func run() async throws {
        var logger = Logger(label: "citychain.bench.index")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .error
        let pg: PostgresSettings
        do { pg = try PostgresSettings(postgres) } catch { throw ValidationError("--postgres URL \(error.message)") }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let copier = IndexBenchCopy(settings: pg, logger: logger)
        let server = try await prepareDatabase(copier)
        say("machine: \(cores) cores, load average \(loadAverage()); PostgreSQL \(server.version) at \(pg.host):\(pg.port)/\(pg.database) (\(server.settings)); link \(pg.sslMode == .disable ? "clear text" : "TLS 1.3, sslmode=\(pg.sslMode.rawValue)")")

        // a. The chain.
        let chain = try IndexBenchChain.build(catchUp: transactions, perBlock: perBlock, liveBlocks: liveBlocks, livePerBlock: livePerBlock,
                                              subjects: subjects)
        say("chain: \(g(Double(chain.catchUpTransactions))) put-record tx in \(chain.catchUpBlocks) blocks to catch up, then \(liveBlocks) live blocks of \(livePerBlock); \(chain.subjects) subjects; "
              + "\(chain.encoded.prefix(chain.catchUpBlocks).reduce(0) { $0 + $1.count } / 1_000_000) MB encoded; built in \(f(chain.signSeconds + chain.applySeconds)) s "
              + "(sign \(f(chain.signSeconds)) s, apply + certify \(f(chain.applySeconds)) s)")

        // b. The feed and the indexer.
        let ca = try CertificateAuthority.create(commonName: "CityChain bench CA")
        let blocks = IndexBenchBlocks(chain, published: chain.catchUpHeight)
        let feed = try await IndexBenchFeed(blocks: blocks, genesis: chain.genesis, ca: ca, logger: logger)
        var settings = IndexerSettings(genesis: chain.genesis, postgres: pg, validators: [feed.address], auditAgency: IndexBenchChain.auditor,
                                       maxBlocksPerWrite: maxBlocksPerWrite)
        settings.bulkLoadTransactions = bulkLoadTransactions
        for url in postgresRead {
            do { settings.postgresRead.append(try PostgresSettings(url)) } catch { throw ValidationError("--postgres-read URL \(error.message)") }
        }
        let runtime = try IndexerRuntime.assemble(settings: settings, tls: try TLSIdentity(issued: ca.issue(role: .indexer, name: "indexer-bench")),
                                                  host: "127.0.0.1", port: 0, logger: logger)
        let cpuStart = IndexBenchCPU.now(postmaster: server.postmaster)
        let started = LoadClock.now()
        let indexer = Task { try await runtime.run() }
        say("indexing: started (the indexer follows the feed on \(feed.address))")
        var result = Summary()
        do {
            result = try await measure(chain: chain, runtime: runtime, indexer: indexer, blocks: blocks, ca: ca, copier: copier,
                                       server: server, started: started, cpuStart: cpuStart, cores: cores)
            if gateway {
                result.gateway = try await measureGateway(chain: chain, runtime: runtime, blocks: blocks, feed: feed.address, ca: ca, logger: logger)
            }
        } catch {
            indexer.cancel()
            _ = try? await indexer.value
            await feed.stop()
            throw error
        }
        indexer.cancel()
        _ = try? await indexer.value
        await feed.stop()
        result.print(cores: cores, load: loadAverage())
    }

    // MARK: - Phases

    private func measure(chain: IndexBenchChain, runtime: IndexerRuntime, indexer: Task<Void, any Error>, blocks: IndexBenchBlocks,
                         ca: CertificateAuthority, copier: IndexBenchCopy, server: ServerFacts, started: UInt64, cpuStart: IndexBenchCPU,
                         cores: Int) async throws -> Summary {
        var s = Summary()
        s.transactions = chain.catchUpTransactions
        s.blocks = chain.catchUpBlocks
        s.perBlock = perBlock
        s.maxBlocksPerWrite = maxBlocksPerWrite
        s.liveInterval = liveIntervalMs
        s.livePerBlock = livePerBlock

        try await measureCatchUp(&s, chain: chain, runtime: runtime, indexer: indexer, server: server, started: started, cpuStart: cpuStart, cores: cores)
        let catchUp = Array(chain.blocks.prefix(chain.catchUpBlocks))
        // Stage by stage, the indexer idle.
        if splits { s.splits = try await stageSplits(chain: chain, blocks: catchUp, runtime: runtime) }

        try await measureCopy(&s, catchUp, genesis: chain.genesis, copier: copier)
        // d. Lag at the commit rate.
        if liveBlocks > 0 {
            let live = IndexBenchLive(runtime: runtime, blocks: blocks, chain: chain)
            s.live = try await live.run(count: liveBlocks, intervalMillis: liveIntervalMs, timeoutSeconds: min(timeout, 60))
            say("live: \(liveBlocks) blocks of \(livePerBlock) published every \(f(liveIntervalMs, 0)) ms; \(s.live.notIndexed) not indexed in time")
        }

        try await measureQueries(&s, chain: chain, runtime: runtime, blocks: blocks, ca: ca, server: server, cores: cores)
        return s
    }

    /// a, b. Catch-up: the index, then the proven state, reach the catch-up height.
    private func measureCatchUp(_ s: inout Summary, chain: IndexBenchChain, runtime: IndexerRuntime, indexer: Task<Void, any Error>,
                                server: ServerFacts, started: UInt64, cpuStart: IndexBenchCPU, cores: Int) async throws {
        // Catch-up: poll the follower's status every millisecond; each change of the indexed height is one committed batch.
        let target = chain.catchUpHeight
        let limit = started + UInt64(timeout * 1e9)
        var last: UInt64 = 0
        var firstAt: UInt64 = 0
        while LoadClock.now() < limit {   // bounded by --timeout
            let h = await runtime.status.indexedHeight
            if h != last {
                let now = LoadClock.now()
                if firstAt == 0 { firstAt = now }
                s.batches.append(Int(h - last))
                last = h
            }
            if h >= target { break }
            if indexer.isCancelled { break }
            try await Task.sleep(for: .milliseconds(1))
        }
        guard last >= target else {
            throw BenchFailure("the indexer reached height \(last) of \(target) in \(timeout) s; last error: \(await runtime.status.lastError)")
        }
        // The clock stops when every index is valid (built again after a bulk catch-up) and a query
        // with a jsonb predicate is answered.
        while LoadClock.now() < limit, await runtime.status.bulkLoading {   // bounded by --timeout
            try await Task.sleep(for: .milliseconds(1))
        }
        let jsonb = DatasetQuery(dataset: IndexBenchChain.parking, predicates: [FieldPredicate(path: ["zone"], op: .equal, value: #""B""#)], limit: 10)
        let found = try await runtime.store.changes(jsonb, maxHeight: target, limit: 10)
        guard !found.isEmpty else { throw BenchFailure("the jsonb query zone = \"B\" found nothing after the catch-up") }
        let indexedAt = LoadClock.now()
        let cpuIndexed = IndexBenchCPU.now(postmaster: server.postmaster)
        s.catchUpSeconds = Double(indexedAt - started) / 1e9
        s.firstBatchSeconds = Double(firstAt - started) / 1e9
        s.catchUpCPU = cpuStart.usage(until: cpuIndexed, cores: cores)
        say("catch-up: indexed height \(target) after \(f(s.catchUpSeconds)) s (\(g(Double(s.transactions) / s.catchUpSeconds)) tx/s) in \(s.batches.count) batches; \(s.catchUpCPU)")
        while LoadClock.now() < limit, await runtime.proven.height < target {   // bounded by --timeout
            if let why = await runtime.proven.halted { throw BenchFailure("the proven state halted: \(why)") }
            try await Task.sleep(for: .milliseconds(1))
        }
        guard await runtime.proven.height >= target else {
            throw BenchFailure("the proven state reached \(await runtime.proven.height) of \(target) in \(timeout) s")
        }
        s.provenSeconds = Double(LoadClock.now() - started) / 1e9
        s.provenCPU = cpuStart.usage(until: IndexBenchCPU.now(postmaster: server.postmaster), cores: cores)
        say("proven state: height \(target) after \(f(s.provenSeconds)) s from the start (\(f(s.provenSeconds - s.catchUpSeconds)) s after the index)")

    }

    /// c. PostgreSQL's COPY of the same rows, for comparison.
    private func measureCopy(_ s: inout Summary, _ catchUp: [CertifiedBlock], genesis: Genesis, copier: IndexBenchCopy) async throws {
        let rows = try IndexBenchRows(catchUp, genesis: genesis)
        s.applySeconds = rows.applySeconds
        s.planSeconds = rows.planSeconds
        s.textSeconds = rows.textSeconds
        s.copyBytes = rows.transactions.readableBytes + rows.blocks.readableBytes
        let copies = try await copier.run(rows, runs: copyRuns, keepScratch: keepScratch)
        s.copyPlain = copies.plain
        s.copyIndexed = copies.indexed
        s.copyNoGIN = copies.noGIN
        s.copyBuildSeconds = copies.build
        s.copyRuns = copyRuns
        say("PostgreSQL COPY of the same \(g(Double(rows.rowCount))) rows (+ \(catchUp.count) block rows, \(s.copyBytes / 1_000_000) MB of COPY text): "
                    + "\(g(Double(rows.rowCount) / copies.plain.seconds)) rows/s without indexes (\(f(copies.plain.seconds)) s), "
                    + "\(g(Double(rows.rowCount) / copies.indexed.seconds)) rows/s with the indexer's indexes (\(f(copies.indexed.seconds)) s), "
                    + "\(g(Double(rows.rowCount) / copies.noGIN.seconds)) rows/s with them but the jsonb GIN (\(f(copies.noGIN.seconds)) s), "
                    + "\(g(Double(rows.rowCount) / (copies.plain.seconds + copies.build))) rows/s without indexes then CREATE INDEX (\(f(copies.build)) s)")

    }

    /// e. Point queries with proof, then the answers verified.
    private func measureQueries(_ s: inout Summary, chain: IndexBenchChain, runtime: IndexerRuntime, blocks: IndexBenchBlocks,
                                ca: CertificateAuthority, server: ServerFacts, cores: Int) async throws {
        let reader = try ca.issue(role: .agency(IndexBenchChain.reader.value), name: IndexBenchChain.reader.value)
        let port = try await runtime.node.server.listeningAddress.port!
        // The agency's client runs in a process of its own, so this process's CPU is the indexer's alone.
        let client = IndexBenchQueryProcess(reader: reader, port: port, subjects: chain.subjects, role: .indexer)
        let before = IndexBenchCPU.now(postmaster: server.postmaster)
        var (figures, answers, clientCPU) = try await client.run(rate: queriesPerSecond, seconds: querySeconds, connections: queryConnections)
        let after = IndexBenchCPU.now(postmaster: server.postmaster)
        s.queryCPU = before.usage(until: after, cores: cores)
        s.queryProcessCPUSeconds = after.process - before.process
        s.queryClientCPUSeconds = clientCPU
        if let a = before.cluster, let b = after.cluster, b >= a { s.queryClusterCPUSeconds = b - a }
        s.queryRate = queriesPerSecond
        // Where the queried records' current versions are: the answer's proof material is their block's.
        var lastHeight: [SubjectKey: UInt64] = [:]
        for cb in chain.blocks.prefix(Int(await blocks.height)) {
            for tx in cb.block.transactions { if case let .putRecord(_, subject, _) = tx.body.operation { lastHeight[subject] = cb.height } }
        }
        s.liveCurrentShare = Double(lastHeight.values.filter { $0 > chain.catchUpHeight }.count) / Double(max(1, lastHeight.count))
        s.queryConnections = queryConnections
        if figures.sent > 0 || figures.skipped > 0 {
            say("queries: \(figures.sent) sent, \(figures.answered) answered, \(figures.failed) failed, \(figures.skipped) not sent (connections full); verifying the answers")
            let cpu = IndexBenchStats.processCPUSeconds()
            IndexBenchQueries.verify(answers, set: chain.validatorSet, into: &figures)
            s.queryVerifyCPUSeconds = IndexBenchStats.processCPUSeconds() - cpu
            answers.removeAll()
            say("verified: \(figures.verified) of \(figures.answered) answers")
        }
        s.queries = figures
        if !runtime.store.replicas.isEmpty { s.replicaReads = runtime.store.replicas.servedReads.reduce(0, +) }
    }

    /// f. A gateway: its start near the head and by replay, and the point queries relayed through it.
    private func measureGateway(chain: IndexBenchChain, runtime: IndexerRuntime, blocks: IndexBenchBlocks, feed: HostPort,
                                ca: CertificateAuthority, logger: Logger) async throws -> IndexBenchGateway.Figures {
        var fig = IndexBenchGateway.Figures()
        let bench = IndexBenchGateway(chain: chain, feed: feed, indexerPort: try await runtime.node.server.listeningAddress.port!, ca: ca, logger: logger)
        let head = await blocks.height
        fig.headHeight = head
        fig.replayLimitSeconds = gatewayReplayLimit
        guard let (seconds, gw, task) = try await bench.start(nearHead: true, target: head, limit: min(timeout, 120)) else {
            throw BenchFailure("the gateway did not follow the head (\(head)) within \(min(timeout, 120)) s of its start")
        }
        fig.nearHeadSeconds = seconds
        fig.startedAt = head
        say("gateway: started near the head in \(f(seconds, 3)) s (following block \(head), the agencies' keys from the indexer's proven starting state)")
        if queriesPerSecond > 0, querySeconds > 0 {
            let reader = try TLSIdentity(issued: ca.issue(role: .agency(IndexBenchChain.reader.value), name: IndexBenchChain.reader.value))
            let client = try WireClient(tls: TLSSetup.client(reader), logger: Logger(label: "citychain.bench.index.reader"))
            var queries = IndexBenchQueries(client: client, port: try await gw.node.server.listeningAddress.port!, subjects: chain.subjects)
            queries.role = .gateway
            var (figures, answers) = try await queries.run(rate: queriesPerSecond, seconds: querySeconds, connections: queryConnections)
            IndexBenchQueries.verify(answers, set: chain.validatorSet, into: &figures)
            answers.removeAll()
            fig.queries = figures
            fig.queryRate = queriesPerSecond
            say("gateway queries: \(figures.sent) sent, \(figures.answered) answered, \(figures.verified) verified, \(figures.failed) failed")
        }
        await bench.stop(task)
        if gatewayReplayLimit > 0 {
            if let (replay, _, task) = try await bench.start(nearHead: false, target: head, limit: gatewayReplayLimit) {
                fig.replaySeconds = replay
                await bench.stop(task)
                say("gateway: started by replay from block 1 in \(f(replay, 2)) s")
            } else {
                say("gateway: the replay from block 1 did not reach block \(head) within \(f(gatewayReplayLimit, 0)) s")
            }
        }
        return fig
    }

    /// The indexer's work for the catch-up blocks, one stage at a time in this process (the
    /// indexer runs them concurrently: reader, writer and proven state are separate tasks).
    private func stageSplits(chain: IndexBenchChain, blocks: [CertifiedBlock], runtime: IndexerRuntime) async throws -> Splits {
        var sp = Splits()
        var t = LoadClock.now()
        var decoded: [CertifiedBlock] = []
        decoded.reserveCapacity(blocks.count)
        for bytes in chain.encoded.prefix(blocks.count) { decoded.append(try CertifiedBlock(canonicalBytes: bytes)) }
        sp.decode = seconds(since: t)
        t = LoadClock.now()
        var tracker = try ChainTracker(genesis: chain.genesis)
        for cb in decoded { try tracker.accept(cb) }
        sp.verify = seconds(since: t)

        try await queryStages(&sp, chain: chain, runtime: runtime)
        return sp
    }

    /// One point query's server work, step by step, 200 times (RecordQuery: QueryService.record).
    private func queryStages(_ sp: inout Splits, chain: IndexBenchChain, runtime: IndexerRuntime) async throws {
        let n = 200
        let picks = (0..<n).map { _ in IndexBenchChain.subject(Int.random(in: 0..<chain.subjects)) }
        var t = LoadClock.now()
        var entries: [RecordEntry] = []
        for subject in picks {
            guard let (_, entry, _) = await runtime.proven.proveRecord(dataset: IndexBenchChain.parking, subject: subject), let entry else {
                throw BenchFailure("the proven state has no record \(subject)")
            }
            entries.append(entry)
        }
        sp.queryProve = seconds(since: t) / Double(n)
        t = LoadClock.now()
        for e in entries { _ = try await runtime.store.transaction(e.transactionID, maxHeight: chain.catchUpHeight) }
        sp.queryTransaction = seconds(since: t) / Double(n)
        t = LoadClock.now()
        for e in entries { _ = try await runtime.store.certifiedHeader(at: e.height) }   // proofMaterial: SQL + leaf hashes decoded
        sp.queryMaterial = seconds(since: t) / Double(n)
        // The decoding alone, as IndexStore.proofMaterial does it (Hash32(bytes:) on each 32-byte slice).
        let leafBytes = chain.blocks[0].block.transactions.flatMap { MerkleTree.leafHash($0.leafBytes).bytes }
        t = LoadClock.now()
        let cpu = IndexBenchStats.processCPUSeconds()
        var hashes: [Hash32] = []
        for _ in 0..<n { hashes = Hash32.list(concatenated: leafBytes)! }
        sp.queryDecode = seconds(since: t) / Double(n)
        sp.queryDecodeCPU = (IndexBenchStats.processCPUSeconds() - cpu) / Double(n)
        sp.queryLeaves = hashes.count
        t = LoadClock.now()
        for i in 0..<n { _ = MerkleTree.proof(leafHashes: hashes, index: i % hashes.count) }
        sp.queryMerkle = seconds(since: t) / Double(n)
    }

    // MARK: - Database

    struct ServerFacts {
        var version = ""
        var settings = ""
        var postmaster: Int32?
    }

    /// Checks that the database holds no index (or drops it with --reset); reads the server's version and settings.
    private func prepareDatabase(_ copier: IndexBenchCopy) async throws -> ServerFacts {
        let conn: PostgresConnection
        do { conn = try await copier.connect() } catch {
            throw ValidationError("--postgres: cannot connect to \(copier.settings.host):\(copier.settings.port)/\(copier.settings.database): \(String(reflecting: error))")
        }
        defer { Task { try? await conn.close() } }
        var exists = false
        for try await e in try await conn.query("SELECT to_regclass('citychain.index_head') IS NOT NULL", logger: copier.logger).decode(Bool.self) {
            exists = e
        }
        if exists {
            guard reset else {
                throw ValidationError("the database \(copier.settings.database) already holds an index (schema citychain); give an empty database or pass --reset to drop it")
            }
            try await conn.query("DROP SCHEMA citychain CASCADE", logger: copier.logger)
        }
        if reset { try await conn.query("DROP SCHEMA IF EXISTS citychain_bench CASCADE", logger: copier.logger) }
        var facts = ServerFacts()
        for try await v in try await conn.query("SHOW server_version", logger: copier.logger).decode(String.self) { facts.version = v }
        var shown: [String] = []
        for name in ["shared_buffers", "fsync", "synchronous_commit", "wal_level", "max_wal_size"] {
            for try await v in try await conn.query(PostgresQuery(unsafeSQL: "SHOW \(name)"), logger: copier.logger).decode(String.self) {
                shown.append("\(name)=\(v)")
            }
        }
        facts.settings = shown.joined(separator: " ")
        // The postmaster is the parent of this backend (for the cluster's CPU time; local servers only).
        for try await pid in try await conn.query("SELECT pg_backend_pid()", logger: copier.logger).decode(Int32.self) {
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) {
                facts.postmaster = IndexBenchStats.cpuSeconds(stat: stat)?.ppid
            }
        }
        return facts
    }

    /// Prints a progress line at once (scripts wait for them).
    private func say(_ line: String) {
        Swift.print(line)
        fflush(nil)
    }

    private func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)).map { $0.split(separator: " ").prefix(3).joined(separator: " ") } ?? "?"
    }

    private func seconds(since t: UInt64) -> Double { Double(LoadClock.now() - t) / 1e9 }
    private func f(_ x: Double, _ d: Int = 2) -> String { IndexBenchStats.f(x, d) }
    private func g(_ x: Double) -> String { IndexBenchStats.grouped(x) }
}

/// The indexer's stages timed one by one over the catch-up blocks.
struct Splits {
    var decode = 0.0, verify = 0.0
    /// One point query's steps, seconds each: state proof, the transaction row, proof material
    /// (header, certificate and leaf hashes of its block; SQL + decoding), the decoding alone, the Merkle proof.
    var queryProve = 0.0, queryTransaction = 0.0, queryMaterial = 0.0, queryDecode = 0.0, queryDecodeCPU = 0.0, queryMerkle = 0.0
    var queryLeaves = 0
}
