import CityOps
import Foundation

/// Everything `citychain-bench index` measured, and how it is printed: readable lines with the
/// targets of issue 4, then one `bench-index: key=value ...` line for scripts.
struct Summary {
    var transactions = 0
    var blocks = 0
    var perBlock = 0
    var maxBlocksPerWrite = 0
    /// Blocks per committed batch, in order (from the indexed height's changes).
    var batches: [Int] = []
    var catchUpSeconds = 0.0
    var firstBatchSeconds = 0.0
    var catchUpCPU = ""
    var provenSeconds = 0.0
    var provenCPU = ""
    var splits: Splits?
    var applySeconds = 0.0
    var planSeconds = 0.0
    var textSeconds = 0.0
    var copyBytes = 0
    var copyPlain = IndexBenchCopy.Run(copySeconds: 0, commitSeconds: 0)
    var copyIndexed = IndexBenchCopy.Run(copySeconds: 0, commitSeconds: 0)
    var copyNoGIN = IndexBenchCopy.Run(copySeconds: 0, commitSeconds: 0)
    var copyRuns = 1
    var live = IndexBenchLive.Figures()
    var liveInterval = 0.0
    var livePerBlock = 0
    var queries = IndexBenchQueries.Figures()
    var queryCPU = ""
    /// This process's CPU over the paced window, and over the verification after it.
    var queryProcessCPUSeconds = 0.0
    /// The query client's process (TLS, requests, answers received; not verification).
    var queryClientCPUSeconds = 0.0
    /// PostgreSQL's CPU during the paced query window (nil: not measurable).
    var queryClusterCPUSeconds: Double?
    /// Building the indexer's indexes on the plain scratch tables after their COPY.
    var copyBuildSeconds = 0.0
    /// PostgreSQL's best bulk path for the rows: COPY into the indexed tables, or COPY into bare ones then CREATE INDEX.
    var copyBestRate: Double { Double(transactions) / min(copyIndexed.seconds, copyPlain.seconds + copyBuildSeconds) }
    var queryVerifyCPUSeconds = 0.0
    var queryRate = 0.0
    /// Share of the subjects whose current version is in a live block (else in a catch-up block).
    var liveCurrentShare = 0.0
    var queryConnections = 0
    /// The gateway's start and the queries through it (nil: --no-gateway).
    var gateway: IndexBenchGateway.Figures?
    /// Reads the indexer's read replicas answered during the run (nil: no --postgres-read).
    var replicaReads: Int?

    static let catchUpTarget = 50_000.0
    static let lagTargetBlocks = 2
    static let queryTargetMillis = 2.0

    private func g(_ x: Double) -> String { IndexBenchStats.grouped(x) }
    private func f(_ x: Double, _ d: Int = 2) -> String { IndexBenchStats.f(x, d) }
    private func p(_ v: [Double], _ q: Double) -> Double { Percentile.nearestRank(v, q) }
    private func met(_ ok: Bool) -> String { ok ? "MET" : "NOT MET" }

    func print(cores: Int, load: String) {
        let ingest = Double(transactions) / catchUpSeconds
        let plainRate = Double(transactions) / copyPlain.seconds
        let indexedRate = Double(transactions) / copyIndexed.seconds
        var out: [String] = []
        out.append("")
        out.append("== indexer figures (issue 4), \(cores) cores, load average now \(load) ==")
        let shown = batches.count <= 12 ? batches.map(String.init).joined(separator: ", ")
            : batches.prefix(10).map(String.init).joined(separator: ", ") + ", … (\(batches.count) in all)"
        out.append("catch-up ingest: \(g(ingest)) tx/s (\(g(Double(transactions))) tx in \(f(catchUpSeconds)) s from the indexer's start; "
                   + "\(blocks) blocks of \(perBlock) written in \(batches.count) batches of \(shown) blocks; first batch committed at \(f(firstBatchSeconds)) s)"
                   + " — PostgreSQL COPY of the same rows: \(g(plainRate)) rows/s (no indexes), \(g(indexedRate)) (with indexes), best bulk path \(g(copyBestRate)) (ratio \(f(ingest / copyBestRate))); "
                   + " we are at \(f(100 * ingest / plainRate, 0))%/\(f(100 * ingest / indexedRate, 0))%")
        out.append("  target ≥ \(g(Self.catchUpTarget)) tx/s: \(met(ingest >= Self.catchUpTarget)); CPU during catch-up: \(catchUpCPU)")
        out.append("  PostgreSQL COPY, fastest of \(copyRuns) runs per table (one transaction each, \(copyBytes / 1_000_000) MB of COPY text incl. the block rows): no indexes \(f(copyPlain.copySeconds)) s + commit \(f(copyPlain.commitSeconds)) s; "
                   + "with indexes \(f(copyIndexed.copySeconds)) s + commit \(f(copyIndexed.commitSeconds)) s; "
                   + "with the indexes but the jsonb GIN \(f(copyNoGIN.seconds)) s = \(g(Double(transactions) / copyNoGIN.seconds)) rows/s (so the GIN index costs \(f(copyIndexed.seconds - copyNoGIN.seconds)) s)")
        out.append("proven-state catch-up: \(f(provenSeconds)) s from the start, \(f(provenSeconds - catchUpSeconds)) s after the index "
                   + "(\(g(Double(transactions) / provenSeconds)) tx/s overall); CPU until then: \(provenCPU)")
        stageLines(&out)
        lagLines(&out)
        queryLines(&out)
        gatewayLines(&out)
        let kv = keyValues(ingest: ingest, plainRate: plainRate, indexedRate: indexedRate)
        out.append("bench-index: " + kv.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
        out.append(jsonLine(ingest: ingest))
        for line in out { Swift.print(line) }
        fflush(nil)
    }

    /// The stage-by-stage lines (--splits).
    private func stageLines(_ out: inout [String]) {
        if let s = splits {
            out.append("stages one at a time over the same \(g(Double(transactions))) tx (this process, the indexer idle):")
            out.append("  reader:  decode \(f(s.decode)) s, verify (certificates, parents, roots) \(f(s.verify)) s  → \(g(Double(transactions) / (s.decode + s.verify))) tx/s")
            out.append("  writer:  apply to the ledger state (its effects) \(f(applySeconds)) s, plan from the effects \(f(planSeconds)) s, COPY text \(f(textSeconds)) s, "
                       + "COPY + commit with indexes \(f(copyIndexed.seconds)) s  → \(g(Double(transactions) / (applySeconds + planSeconds + textSeconds + copyIndexed.seconds))) tx/s one after another")
            out.append("  one point query, step by step (200 each): state proof \(f(1000 * s.queryProve)) ms, transaction row (SQL) \(f(1000 * s.queryTransaction)) ms, "
                       + "proof material (SQL: header, certificate, \(s.queryLeaves) leaf hashes; decoded) \(f(1000 * s.queryMaterial)) ms of which decoding the leaf hashes "
                       + "(Hash32.list, as IndexStore.proofMaterial) \(f(1000 * s.queryDecode)) ms (\(f(1000 * s.queryDecodeCPU)) ms of CPU), Merkle proof from the leaf hashes \(f(1000 * s.queryMerkle)) ms")
        }
    }

    /// The live lag lines.
    private func lagLines(_ out: inout [String]) {
        if !live.behind.isEmpty {
            let behind = live.behind.map(Double.init)
            let rate = Double(livePerBlock) * 1000 / liveInterval
            out.append("lag at \(g(rate)) tx/s (\(live.behind.count) blocks of \(livePerBlock) every \(f(liveInterval, 0)) ms; behind = published height − indexed height right after each publish, the new block included):")
            out.append("  behind p50 \(Int(p(behind, 0.5))) / p99 \(Int(p(behind, 0.99))) / max \(Int(behind.max() ?? 0)) blocks; "
                       + "publish → indexed p50 \(f(p(live.indexedMillis, 0.5), 1)) / p99 \(f(p(live.indexedMillis, 0.99), 1)) / max \(f(live.indexedMillis.max() ?? 0, 1)) ms; "
                       + "→ proven (queryable) p50 \(f(p(live.provenMillis, 0.5), 1)) / p99 \(f(p(live.provenMillis, 0.99), 1)) ms"
                       + (live.notIndexed > 0 ? "; \(live.notIndexed) blocks NOT indexed in time" : ""))
            out.append("  target p99 ≤ \(Self.lagTargetBlocks) blocks: \(met(live.notIndexed == 0 && Int(p(behind, 0.99)) <= Self.lagTargetBlocks)); "
                       + "publishing ran at most \(f(live.publishLateMillis, 1)) ms late")
        }
    }

    /// The point-query lines.
    private func queryLines(_ out: inout [String]) {
        if queries.sent > 0 || queries.skipped > 0 {
            let achieved = Double(queries.answered) / queries.seconds
            let p99 = p(queries.answerMillis, 0.99)
            out.append("point query with proof: \(g(Double(queries.sent))) sent at \(g(queryRate)) q/s offered over \(queryConnections) connections in \(f(queries.seconds)) s, "
                       + "\(g(achieved)) q/s answered; answer p50 \(f(p(queries.answerMillis, 0.5))) / p99 \(f(p99)) / max \(f(queries.answerMillis.max() ?? 0)) ms; "
                       + "\(queries.verified) of \(queries.answered) answers verified afterwards (\(f(queries.verifySeconds)) s on every core, "
                       + "\(f(1000 * queryVerifyCPUSeconds / Double(max(1, queries.answered)))) ms of CPU each); \(queries.failed) failed, \(queries.skipped) not sent"
                       + (queries.firstFailure.map { " (first failure: \($0))" } ?? ""))
            out.append("  the records' current versions: \(f(100 * liveCurrentShare, 0))% in live blocks of \(livePerBlock) tx, the rest in catch-up blocks of \(perBlock) "
                       + "(an answer's proof material is the leaf hashes of that block)")
            out.append("  target p99 ≤ \(f(Self.queryTargetMillis, 0)) ms at \(g(queryRate)) q/s: \(met(queries.failed == 0 && queries.skipped == 0 && p99 <= Self.queryTargetMillis)); "
                       + "sends ran at most \(f(queries.sendLateMillis, 1)) ms late; CPU during the paced window: \(queryCPU); "
                       + "the indexer's process used \(f(1000 * queryProcessCPUSeconds / Double(max(1, queries.answered)))) ms of CPU per answer, "
                       + "its PostgreSQL \(f(1000 * (queryClusterCPUSeconds ?? 0) / Double(max(1, queries.answered)))) ms; "
                       + "the agency's client (a process of its own: TLS, send, receive) \(f(1000 * queryClientCPUSeconds / Double(max(1, queries.answered)))) ms")
        }
    }

    /// The gateway lines.
    private func gatewayLines(_ out: inout [String]) {
        if let r = replicaReads {
            out.append("read replicas: \(g(Double(r))) reads of the queries answered by the replica (the rest by the primary; each only once the replica had replayed the answer's height)")
        }
        guard let gw = gateway else { return }
        let replay = gw.replaySeconds.map { "\(f($0)) s" } ?? "not done within \(f(gw.replayLimitSeconds, 0)) s"
        out.append("gateway start on a chain of \(g(Double(transactions))) tx (\(gw.headHeight) blocks): near the head \(gw.nearHeadSeconds.map { f($0, 3) } ?? "?") s "
                   + "(the indexer's proven starting state, checked from the genesis), by replay from block 1 \(replay); target ≤ 5 s: \(met((gw.nearHeadSeconds ?? .infinity) <= 5))")
        let q = gw.queries
        if q.sent > 0 {
            out.append("point query with proof through the gateway: \(g(Double(q.sent))) sent at \(g(gw.queryRate)) q/s, \(g(Double(q.answered) / q.seconds)) q/s answered; "
                       + "answer p50 \(f(p(q.answerMillis, 0.5))) / p99 \(f(p(q.answerMillis, 0.99))) / max \(f(q.answerMillis.max() ?? 0)) ms; "
                       + "\(q.verified) of \(q.answered) verified; \(q.failed) failed, \(q.skipped) not sent" + (q.firstFailure.map { " (first failure: \($0))" } ?? ""))
        }
    }

    /// The figures as one JSON line (the bench's last line). `query_cpu_ms` counts this
    /// process (the indexer: the query client runs in a process of its own) and PostgreSQL's
    /// backends, per answer; `query_client_cpu_ms` the client's process apart.
    private func jsonLine(ingest: Double) -> String {
        let answered = Double(max(1, queries.answered))
        let behind = live.behind.map(Double.init)
        let fields: [(String, String)] = [
            ("tx", "\(transactions)"), ("catchup_tx_s", f(ingest, 0)), ("copy_best_rows_s", f(copyBestRate, 0)),
            ("catchup_ratio", f(ingest / copyBestRate, 3)),
            ("lag_p99_blocks", behind.isEmpty ? "null" : "\(Int(p(behind, 0.99)))"),
            ("lag_p99_ms", behind.isEmpty ? "null" : f(p(live.indexedMillis, 0.99), 1)),
            ("query_p99_ms", queries.sent == 0 ? "null" : f(p(queries.answerMillis, 0.99), 2)),
            ("query_cpu_ms", queries.sent == 0 ? "null" : f(1000 * (queryProcessCPUSeconds + (queryClusterCPUSeconds ?? 0)) / answered, 3)),
            ("query_client_cpu_ms", queries.sent == 0 ? "null" : f(1000 * queryClientCPUSeconds / answered, 3)),
            ("answered_q_s", queries.sent == 0 ? "null" : f(Double(queries.answered) / queries.seconds, 0)),
            ("query_failed", "\(queries.failed)"),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// The figures as key=value pairs.
    private func keyValues(ingest: Double, plainRate: Double, indexedRate: Double) -> [(String, String)] {
        var kv: [(String, String)] = [
            ("tx", "\(transactions)"), ("blocks", "\(blocks)"), ("batches", "\(batches.count)"), ("catchup_s", f(catchUpSeconds, 3)),
            ("ingest_tps", f(ingest, 0)), ("copy_plain_rps", f(plainRate, 0)), ("copy_indexed_rps", f(indexedRate, 0)), ("copy_nogin_rps", f(Double(transactions) / copyNoGIN.seconds, 0)),
            ("ingest_pct_plain", f(100 * ingest / plainRate, 0)), ("ingest_pct_indexed", f(100 * ingest / indexedRate, 0)),
            ("proven_s", f(provenSeconds, 3)),
        ]
        if let s = splits {
            kv += [("decode_s", f(s.decode, 3)), ("verify_s", f(s.verify, 3)), ("apply_s", f(applySeconds, 3)), ("plan_s", f(planSeconds, 3)),
                   ("text_s", f(textSeconds, 3)), ("copy_indexed_s", f(copyIndexed.seconds, 3)),
                   ("q_prove_ms", f(1000 * s.queryProve, 3)), ("q_tx_ms", f(1000 * s.queryTransaction, 3)), ("q_material_ms", f(1000 * s.queryMaterial, 3)),
                   ("q_decode_ms", f(1000 * s.queryDecode, 3)), ("q_merkle_ms", f(1000 * s.queryMerkle, 3))]
        }
        if !live.behind.isEmpty {
            let behind = live.behind.map(Double.init)
            kv += [("lag_p50_blocks", "\(Int(p(behind, 0.5)))"), ("lag_p99_blocks", "\(Int(p(behind, 0.99)))"),
                   ("lag_p50_ms", f(p(live.indexedMillis, 0.5), 1)), ("lag_p99_ms", f(p(live.indexedMillis, 0.99), 1)),
                   ("proven_lag_p99_ms", f(p(live.provenMillis, 0.99), 1)), ("lag_not_indexed", "\(live.notIndexed)")]
        }
        if queries.sent > 0 {
            kv += [("query_sent", "\(queries.sent)"), ("query_qps", f(Double(queries.answered) / queries.seconds, 0)), ("query_verified", "\(queries.verified)"),
                   ("query_p50_ms", f(p(queries.answerMillis, 0.5))), ("query_p99_ms", f(p(queries.answerMillis, 0.99))),
                   ("query_max_ms", f(queries.answerMillis.max() ?? 0)), ("query_failed", "\(queries.failed)"), ("query_skipped", "\(queries.skipped)")]
        }
        if let gw = gateway {
            kv += [("gateway_start_s", gw.nearHeadSeconds.map { f($0, 3) } ?? "null"), ("gateway_replay_s", gw.replaySeconds.map { f($0, 2) } ?? "null")]
            if gw.queries.sent > 0 {
                kv += [("gateway_query_p50_ms", f(p(gw.queries.answerMillis, 0.5))), ("gateway_query_p99_ms", f(p(gw.queries.answerMillis, 0.99))),
                       ("gateway_query_failed", "\(gw.queries.failed)")]
            }
        }
        if let r = replicaReads { kv.append(("replica_reads", "\(r)")) }
        return kv
    }
}
