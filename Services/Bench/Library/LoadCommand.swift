import ArgumentParser
import CityChainAPI
import CityLedger
import CityPKI
import CityWire
import Foundation
import Logging

/// `citychain-bench load`: commit rate and commit latency of running validators (issue 3).
/// Pre-signs put-record transactions of many agencies before the timed window, offers them over
/// mutual TLS (open loop at a rate, or closed loop), and counts commits on one validator's
/// commit stream. docs/BENCHMARKS.md, "Commit rate and latency".
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load", abstract: "Offer signed transactions to validators; print committed tx/s and commit latency.",
        discussion: """
        --keys-dir holds devnet-style signing key files named <agency-id>.json; every writer of the chosen dataset (--dataset, or the public dataset with the most such writers) whose key file matches its genesis key signs in turn. The certificate must be an admin, gateway or validator one: the commit stream is not served to agencies. Transactions expire at the current height + \(LedgerLimits.maxTransactionLifetimeHeights) (LedgerLimits.maxTransactionLifetimeHeights). Latency is from sending a submission to seeing its block on the first validator's commit stream. Output: a 'bench-load: key=value ...' line, then a table.
        """)

    @Option(name: .customLong("validator"), help: "A validator to submit to, HOST:PORT; repeat for each (the first also serves the commit stream).")
    var validators: [ValidatorAddress] = []
    @Option(help: "Your PEM certificate (admin or gateway role).") var cert: String
    @Option(help: "Your PEM private key.") var key: String
    @Option(help: "The city CA certificate.") var ca: String
    @Option(help: "The chain's genesis file.") var genesis: String
    @Option(help: "Directory of the agencies' signing key files, <agency-id>.json.") var keysDir: String
    @Option(help: "Dataset to write (default: the public one most key holders may write).") var dataset: String?
    @Option(help: "Payload bytes per transaction.") var payloadBytes = 200
    @Option(help: "Offered transactions per second (open loop); 0: closed loop, as fast as answers come.") var rate = 0.0
    @Option(help: "Seconds of offered load (the measured window is this minus the warm-up).") var seconds = 20.0
    @Option(help: "Seconds at the start whose commits and sends are not measured.") var warmupSeconds = 2.0
    @Option(help: "Most seconds to wait after the window for accepted transactions to commit.") var drainSeconds = 30.0
    @Option(help: "Transactions to pre-sign (0: rate × seconds, or 12,000 × seconds closed loop); the run stops early when they run out.")
    var count = 0
    @Option(help: "Connections per validator.") var connections = 1
    @Option(help: "Requests in flight per connection (closed loop: the offered concurrency), 1...64.") var inFlight = 32
    @Option(help: "Most seconds to wait before the run for every validator's mempool to be empty (a previous run's backlog would be counted against this one).")
    var settleSeconds = 60.0

    func validate() throws {
        guard !validators.isEmpty else { throw ValidationError("name at least one --validator HOST:PORT") }
        guard (1...64).contains(inFlight) else { throw ValidationError("--in-flight \(inFlight) must be in 1...64 (the wire's per-connection limit)") }
        guard (1...64).contains(connections) else { throw ValidationError("--connections \(connections) must be in 1...64") }
        guard seconds > 0, seconds <= 3600 else { throw ValidationError("--seconds \(seconds) must be in (0, 3600]") }
        guard warmupSeconds >= 0, warmupSeconds < seconds else { throw ValidationError("--warmup-seconds must be in [0, --seconds)") }
        guard (0...600).contains(drainSeconds) else { throw ValidationError("--drain-seconds must be in 0...600") }
        guard rate >= 0, rate <= 1_000_000 else { throw ValidationError("--rate \(rate) must be in 0...1000000 (0: closed loop)") }
        guard (1...LedgerLimits.maxPayloadBytes).contains(payloadBytes) else {
            throw ValidationError("--payload-bytes must be in 1...\(LedgerLimits.maxPayloadBytes)")
        }
        guard (0...5_000_000).contains(count) else { throw ValidationError("--count must be in 0...5000000") }
        guard (0...600).contains(settleSeconds) else { throw ValidationError("--settle-seconds must be in 0...600") }
    }

    func run() async throws {
        let identity = try TLSIdentity(files: .init(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca))
        let client = try WireClient(tls: TLSSetup.client(identity), logger: Logger(label: "citychain.bench.load"))
        let plan = try LoadPlan.load(genesisPath: genesis, keysDir: keysDir, datasetID: dataset)
        try await settle(client: client)
        let status = try await validators[0].status(client: client)
        guard status.chainID == plan.chainID else {
            throw ValidationError("\(validators[0]) runs chain '\(status.chainID)' but \(genesis) is '\(plan.chainID)'")
        }
        let total = count > 0 ? count : Int((rate > 0 ? rate : 12_000) * seconds)
        let runTag = UInt32.random(in: 1...UInt32.max)
        let signStart = LoadClock.now()
        let requests = plan.presign(count: max(1, total), payloadBytes: payloadBytes,
                                    expiresAtHeight: status.height + LedgerLimits.maxTransactionLifetimeHeights, runTag: runTag)
        let signSeconds = Double(LoadClock.now() - signStart) / 1e9
        print("pre-signed \(requests.count) transactions in \(String(format: "%.2f", signSeconds)) s "
              + "(\(String(format: "%.0f", Double(requests.count) / signSeconds)) /s) by \(plan.signers.count) agencies "
              + "for dataset \(plan.dataset), chain \(plan.chainID) at height \(status.height)")
        fflush(nil)   // (all streams) scripts wait for this line to know the timed window is about to start
        let report = try await measure(client: client, plan: plan, requests: requests, runTag: runTag, fromHeight: status.height + 1)
        let (summary, table) = report.render()
        print(summary)
        print(table, terminator: "")
        guard report.s.committed > 0 else {
            throw ValidationError("no transaction of this run committed; check the validators' logs and the answers above")
        }
    }

    /// Waits until no validator has pending transactions (bounded by `settleSeconds`); says so if they keep some.
    private func settle(client: WireClient) async throws {
        let until = LoadClock.now() + UInt64(settleSeconds * 1e9)
        var pending: [String] = []
        repeat {   // bounded by --settle-seconds
            pending = []
            for v in validators {
                let s = try await v.status(client: client)
                if s.mempoolCount > 0 { pending.append("\(s.name) \(s.mempoolCount)") }
            }
            if pending.isEmpty { return }
            try await Task.sleep(for: .milliseconds(200))
        } while LoadClock.now() < until
        print("note: after \(settleSeconds) s the mempools still hold transactions (\(pending.joined(separator: ", "))); this run starts on a backlog")
    }

    /// Follows commits, offers the load, drains, and returns the figures.
    private func measure(client: WireClient, plan: LoadPlan, requests: [[UInt8]], runTag: UInt32,
                         fromHeight: UInt64) async throws -> LoadReport {
        let recorder = LoadRecorder(count: requests.count, runTag: runTag, fromHeight: fromHeight)
        let cpuStart = ProcessCPU.seconds()
        let start = LoadClock.now() + 200_000_000   // let the commit stream connect first
        let deadline = start + UInt64(seconds * 1e9)
        let driver = LoadDriver(client: client, validators: validators, requests: requests, recorder: recorder,
                                ratePerSecond: rate, connectionsPerValidator: connections, inFlightPerConnection: inFlight,
                                deadlineNanos: deadline, startNanos: start)
        let streamFrom = validators[0], drainSeconds = drainSeconds, rate = rate
        let (end, drainedAt): (UInt64, UInt64) = await withTaskGroup(of: Void.self) { group in
            group.addTask { await LoadDriver.followCommits(client: client, from: streamFrom, recorder: recorder) }
            try? await Task.sleep(for: .nanoseconds(Int64(start - min(start, LoadClock.now()))))
            await driver.offer()
            let snapshot = recorder.snapshot()
            // Closed loop can use up the pre-signed transactions early; open loop has exactly its schedule's.
            let ranOut = rate == 0 && snapshot.taken >= requests.count
            let end = ranOut ? min(deadline, snapshot.lastSentAt) : deadline
            if ranOut && end < deadline {
                print("note: the \(requests.count) pre-signed transactions ran out after \(String(format: "%.1f", Double(end - start) / 1e9)) s; raise --count")
            }
            let drainedAt = await Self.drain(recorder, seconds: drainSeconds)
            group.cancelAll()
            return (end, drainedAt)
        }
        let window = LoadReport.Window(start: start, end: end, warmupNanos: UInt64(warmupSeconds * 1e9), drainedAt: drainedAt,
                                       clientCPUSeconds: ProcessCPU.seconds() - cpuStart, late: driver.late.value)
        let setup = LoadReport.Setup(validators: validators.count, connections: validators.count * connections,
                                     inFlight: validators.count * connections * inFlight, ratePerSecond: rate,
                                     payloadBytes: payloadBytes, agencies: plan.signers.count,
                                     transactionBytes: requests[0].count - 4)
        return LoadReport(setup: setup, window: window, s: recorder.snapshot())
    }

    /// Waits until every accepted transaction is seen committed, or `seconds` pass; returns when.
    private static func drain(_ recorder: LoadRecorder, seconds: Double) async -> UInt64 {
        let until = LoadClock.now() + UInt64(seconds * 1e9)
        while LoadClock.now() < until {   // bounded by --drain-seconds
            let p = recorder.progress
            if p.committed >= p.accepted { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return LoadClock.now()
    }
}

/// CPU time this process has used (user + system), for the client's share of the machine.
enum ProcessCPU {
    /// Seconds of CPU used so far.
    static func seconds() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
