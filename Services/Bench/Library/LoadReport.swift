import Foundation

/// The figures of one `citychain-bench load` run, computed from the recorder's snapshot: rates over the
/// offering window (after the warm-up) and commit latency per transaction (send → its block seen
/// on the commit stream), as a sorted array's percentiles.
struct LoadReport {
    /// How the run was set up.
    struct Setup {
        var validators: Int
        var connections: Int
        var inFlight: Int
        var ratePerSecond: Double
        var payloadBytes: Int
        var agencies: Int
        var transactionBytes: Int
    }

    /// Times of the run (monotonic nanoseconds) and what the client itself spent.
    struct Window {
        var start: UInt64
        var end: UInt64
        var warmupNanos: UInt64
        var drainedAt: UInt64
        var clientCPUSeconds: Double
        var late: Int
    }

    let setup: Setup
    let window: Window
    let s: LoadRecorder.Snapshot

    var measuredStart: UInt64 { min(window.start + window.warmupNanos, window.end) }
    var measuredSeconds: Double { Double(window.end - measuredStart) / 1e9 }
    var submitted: Int { s.sentAt.lazy.filter { $0 != 0 }.count }

    /// Transactions sent in the measured window, and of those the commit latencies (sorted, ns).
    func measured() -> (sent: Int, committedInWindow: Int, latencies: [UInt64]) {
        var sent = 0, inWindow = 0
        var latencies: [UInt64] = []
        latencies.reserveCapacity(s.committed)
        for (sentAt, committedAt) in zip(s.sentAt, s.committedAt) {
            if committedAt >= measuredStart && committedAt <= window.end { inWindow += 1 }
            guard sentAt >= measuredStart, sentAt <= window.end else { continue }
            sent += 1
            if committedAt != 0 { latencies.append(committedAt - sentAt) }
        }
        latencies.sort()
        return (sent, inWindow, latencies)
    }

    /// The `q` quantile (0…1) of sorted `values` in milliseconds, nearest rank; 0 when empty.
    static func quantileMillis(_ values: [UInt64], _ q: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let rank = min(values.count - 1, max(0, Int((q * Double(values.count)).rounded(.up)) - 1))
        return Double(values[rank]) / 1e6
    }

    /// The one-line summary (`bench-load: key=value ...`) and the readable table.
    func render() -> (summary: String, table: String) {
        let m = measured()
        let secs = max(measuredSeconds, 1e-9)
        let q = { (x: Double) in Self.quantileMillis(m.latencies, x) }
        let mode = setup.ratePerSecond > 0 ? "open" : "closed"
        let committedRate = Double(m.committedInWindow) / secs
        let offeredRate = Double(m.sent) / secs
        let uncommitted = s.accepted - s.committed
        let perBlock = s.blocks > 0 ? Double(s.blockTransactions) / Double(s.blocks) : 0
        let blockSeconds = Double(s.lastBlockMillis &- s.firstBlockMillis) / 1000
        let cpuPct = 100 * window.clientCPUSeconds / max(Double(window.drainedAt - window.start) / 1e9, 1e-9)
        let f = { (x: Double) in String(format: "%.1f", x) }
        let gaps = s.blockGapsMillis.sorted().map { $0 * 1_000_000 }
        let gap = { (x: Double) in f(Self.quantileMillis(gaps, x)) }
        let fields: [(String, String)] = [
            ("mode", mode), ("validators", "\(setup.validators)"), ("connections", "\(setup.connections)"),
            ("in_flight", "\(setup.inFlight)"), ("rate", f(setup.ratePerSecond)), ("payload_bytes", "\(setup.payloadBytes)"),
            ("tx_bytes", "\(setup.transactionBytes)"), ("agencies", "\(setup.agencies)"), ("seconds", String(format: "%.2f", secs)),
            ("submitted", "\(submitted)"), ("accepted", "\(s.accepted)"), ("rejected", "\(s.rejected)"), ("busy", "\(s.busy)"),
            ("busy_retries", "\(s.busyRetries)"), ("failed", "\(s.failed)"), ("committed", "\(s.committed)"),
            ("uncommitted", "\(uncommitted)"), ("late", "\(window.late)"), ("offered_tps", f(offeredRate)),
            ("committed_tps", f(committedRate)), ("p50_ms", f(q(0.50))), ("p90_ms", f(q(0.90))), ("p99_ms", f(q(0.99))),
            ("max_ms", f(q(1.0))), ("latency_samples", "\(m.latencies.count)"), ("blocks", "\(s.blocks)"),
            ("txs_per_block", f(perBlock)), ("largest_block", "\(s.largestBlock)"), ("client_cpu_pct", f(cpuPct)),
            ("block_gap_p50_ms", gap(0.5)), ("block_gap_p99_ms", gap(0.99)), ("block_gap_max_ms", gap(1)),
        ]
        let summary = "bench-load: " + fields.map { "\($0)=\($1)" }.joined(separator: " ")
        var t = ""
        t += "load        \(mode) loop\(setup.ratePerSecond > 0 ? " at \(f(setup.ratePerSecond)) tx/s" : ""), \(setup.validators) validator(s) × \(setup.connections / max(setup.validators, 1)) connection(s) × \(setup.inFlight / max(setup.connections, 1)) in flight\n"
        t += "txs         put-record, \(setup.payloadBytes)-byte payload (\(setup.transactionBytes) bytes signed), signed by \(setup.agencies) agencies\n"
        t += "window      \(String(format: "%.2f", secs)) s measured (after \(f(Double(window.warmupNanos) / 1e9)) s warm-up)\n"
        t += "answers     submitted \(submitted), accepted \(s.accepted), rejected \(s.rejected), mempool full \(s.busy) (+\(s.busyRetries) retries), failed \(s.failed)\n"
        t += "rates       offered \(f(offeredRate)) tx/s, committed \(f(committedRate)) tx/s\n"
        t += "latency     p50 \(f(q(0.5))) ms, p90 \(f(q(0.9))) ms, p99 \(f(q(0.99))) ms, max \(f(q(1))) ms (\(m.latencies.count) samples; \(uncommitted) accepted but not committed by the end of the drain)\n"
        t += "blocks      \(s.blocks) seen, \(f(perBlock)) txs per block (largest \(s.largestBlock)), \(f(blockSeconds)) s of block time; between blocks p50 \(gap(0.5)) ms, p99 \(gap(0.99)) ms, max \(gap(1)) ms\n"
        t += "client      \(f(cpuPct))% of one core (\(f(window.clientCPUSeconds)) s CPU); \(window.late) open-loop sends more than 10 ms late\n"
        let longest = zip(s.blockGapsMillis, s.blockGapHeights).sorted { $0.0 > $1.0 }.prefix(5)
        if !longest.isEmpty { t += "slowest     " + longest.map { "\($0.0) ms before height \($0.1)" }.joined(separator: ", ") + "\n" }
        for (why, n) in s.reasons.sorted(by: { $0.value > $1.value }) { t += "note        \(n) × \(why)\n" }
        return (summary, t)
    }
}
