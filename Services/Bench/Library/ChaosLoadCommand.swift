import ArgumentParser
import CityChainAPI
import CityEncoding
import CityLedger
import CityNode
import CityOps
import CityPKI
import CityWire
import Foundation
import Logging
import Synchronization
@preconcurrency import Crypto

/// `citychain-bench chaos-load`: the load of `deploy/chaos` — an agency writing through a gateway
/// that may die, restart or stall at any moment, as a careful client does: every transaction is
/// signed once and resubmitted (the same bytes, so the same id: submits are idempotent) after any
/// error, timeout, `pending` answer or lost connection, reconnecting with backoff, until the
/// gateway acknowledges it with a receipt (verified against the genesis validator set) or the
/// run's deadline passes. Every transaction's fate goes to `--record` as one JSON line (`sent`,
/// `ack`, `rejected`, `unacked`), written as it happens, so the checker knows exactly which
/// transactions were acknowledged even if this process is killed.
struct ChaosLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos-load",
        abstract: "Write through a gateway with retries under faults; record every acknowledged transaction (deploy/chaos).")

    @Option(help: "HOST:PORT of the gateway.") var gateway: String
    @Option(help: "The writing agency's PEM certificate.") var cert: String
    @Option(help: "Its PEM private key.") var key: String
    @Option(help: "The city CA certificate.") var ca: String
    @Option(help: "The chain's genesis file (receipts are verified against its validator set).") var genesis: String
    @Option(help: "The writing agency (its id; the certificate's agency).") var agency: String
    @Option(help: "The agency's signing key file.") var signingKey: String
    @Option(help: "Key id of the signing key on chain.") var keyID: UInt32 = 1
    @Option(help: "Dataset written.") var dataset = "parking-sessions"
    @Option(help: "Transactions offered per second, all lanes together.") var rate = 20.0
    @Option(help: "Seconds during which new transactions are offered.") var seconds = 60.0
    @Option(help: "Most seconds after that to get the transactions still unacknowledged acknowledged.") var drainSeconds = 90.0
    @Option(help: "Independent lanes, each its own connection with one transaction in flight.") var lanes = 16
    @Option(help: "Tag put in every payload, so runs on one chain never share a payload.") var runID = "chaos"
    @Option(help: "File the transactions' fates are appended to, one JSON line each.") var record: String

    func run() async throws {
        guard let address = HostPort(gateway) else { throw ValidationError("--gateway '\(gateway)' must be HOST:PORT") }
        guard rate > 0, rate <= 5_000 else { throw ValidationError("--rate \(rate) must be more than 0 and at most 5,000 per second") }
        guard seconds > 0, seconds <= 86_400, drainSeconds >= 0, drainSeconds <= 3_600 else {
            throw ValidationError("--seconds must be 0…86,400 and --drain-seconds 0…3,600")
        }
        guard (1...256).contains(lanes) else { throw ValidationError("--lanes \(lanes) must be 1…256") }
        let ds = try DatasetID(dataset)
        let signer = Signer(agency: try AgencyID(agency), keyID: KeyID(keyID))
        let signing = try Curve25519.Signing.PrivateKey(rawRepresentation: try KeyFile.load(signingKey, expecting: .signing).privateKeyBytes)
        let sets = try TrustedValidatorSets(genesis: try Genesis.load(path: genesis, flag: "--genesis"))
        let identity = try TLSIdentity(files: .init(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca))
        var logger = Logger(label: "citychain.chaos-load")
        logger.logLevel = .critical   // connection failures are this client's normal weather; they are counted
        let client = try WireClient(tls: TLSSetup.client(identity), logger: logger)
        let journal = try ChaosJournal(path: record)
        let start = ContinuousClock.now
        let offerEnd = start + .milliseconds(Int64(seconds * 1000))
        let drainEnd = offerEnd + .milliseconds(Int64(drainSeconds * 1000))

        // The chain id and a height for the transactions' expiry: from the gateway, waiting for it.
        var status: GatewayStatus?
        while status == nil {
            status = try? await client.withConnection(host: address.host, port: address.port, expecting: .gateway) { conn in
                try GatewayStatus(canonicalBytes: try await conn.request(GatewayAPI.status, [], timeout: .seconds(5)))
            }
            if status == nil {
                guard ContinuousClock.now < offerEnd else { throw ValidationError("the gateway \(gateway) did not answer before the run's end") }
                try await Task.sleep(for: .milliseconds(200))   // sleep: the gateway is not up yet; retry its status
            }
        }
        let chainID = status!.chainID
        let expiry = status!.headHeight + LedgerLimits.maxTransactionLifetimeHeights
        let nonceBase = UInt64(Date().timeIntervalSince1970 * 1000) << 20
        let runID = runID, rate = rate, lanes = lanes
        @Sendable func transaction(_ n: Int) throws -> SignedTransaction {
            let payload = Array(#"{"bay":\#(n % 500),"chaos":"\#(runID)","n":\#(n)}"#.utf8)
            let body = TransactionBody(chainID: chainID, signer: signer, nonce: nonceBase + UInt64(n), expiresAtHeight: expiry,
                                       operation: .putRecord(dataset: ds, subject: try SubjectKey("chaos-\(n % 500)"), payloadHash: Hash32.sha256(payload)))
            return try SignedTransaction.sign(body, payload: payload, key: signing)
        }
        let counts = ChaosCounts(sets: sets)
        await withDiscardingTaskGroup { group in
            for lane in 0..<lanes {
                group.addTask {
                    await Self.lane(lane, of: lanes, rate: rate, start: start, offerEnd: offerEnd, drainEnd: drainEnd, address: address,
                                    client: client, make: transaction, journal: journal, counts: counts)
                }
            }
        }
        try await verifyDeferred(counts: counts, journal: journal, client: client, address: address)
        let c = counts.snapshot()
        let elapsed = (ContinuousClock.now - start) / .seconds(1)
        print(#"{"sent": \#(c.sent), "acknowledged": \#(c.acked), "rejected": \#(c.rejected), "unacknowledged": \#(c.unacked), "resubmits": \#(c.resubmits), "connection_errors": \#(c.errors), "unverified": \#(c.unverified), "seconds": \#(String(format: "%.1f", elapsed)), "ack_p50_ms": \#(String(format: "%.1f", Percentile.nearestRank(c.latencies, 0.5))), "ack_p99_ms": \#(String(format: "%.1f", Percentile.nearestRank(c.latencies, 0.99))), "ack_max_ms": \#(String(format: "%.1f", c.latencies.max() ?? 0))}"#)
        if c.unverified > 0 { throw ExitCode(1) }
    }

    /// Receipts from heights the genesis sets could not vouch for yet (`needsSetsThrough`: every
    /// height after the last set change the client has checked) are verified here, after one
    /// refresh of the validator-set changes through the gateway (retried for up to a minute: the
    /// indexer behind it may be catching up after a fault).
    private func verifyDeferred(counts: ChaosCounts, journal: ChaosJournal, client: WireClient, address: HostPort) async throws {
        let deferred = counts.takeDeferred()
        guard !deferred.isEmpty else { return }
        var sets = counts.sets
        let deadline = ContinuousClock.now + .seconds(60)
        var failure = ""
        while true {
            var refreshed = sets
            do {
                try await client.withConnection(host: address.host, port: address.port, expecting: .gateway) { conn in
                    try await refreshed.refresh { q in
                        try ValidatorChangesAnswer(canonicalBytes: try await conn.request(IndexerAPI.validatorChanges, q.canonicalBytes, timeout: .seconds(10)))
                    }
                }
                sets = refreshed
                if deferred.allSatisfy({ (try? $0.receipt.verify(id: $0.id, validatorSet: sets)) != nil || !Self.needsMoreSets($0, sets) }) { break }
                failure = "the gateway's validator-set changes do not reach the receipts' heights yet"
            } catch {
                failure = "\(error)"
            }
            guard ContinuousClock.now < deadline else { break }
            try await Task.sleep(for: .seconds(1))   // sleep: the indexer behind the gateway is catching up; bounded by the deadline
        }
        for d in deferred {
            var why: String?
            do { try d.receipt.verify(id: d.id, validatorSet: sets) } catch { why = "\(error)" + (failure.isEmpty ? "" : " (\(failure))") }
            journal.verified(d.id, why: why)
            if why != nil { counts.add { $0.unverified += 1 } }
        }
    }

    /// Whether `d`'s receipt failed only because the sets are not known through its height.
    private static func needsMoreSets(_ d: ChaosDeferred, _ sets: TrustedValidatorSets) -> Bool {
        do { try d.receipt.verify(id: d.id, validatorSet: sets); return false } catch let e as ProofFailure { return e.needsSetsThrough != nil } catch { return false }
    }

    /// One lane: transactions lane, lane + lanes, … offered at n / rate seconds, one at a time, each
    /// resubmitted until acknowledged; the lane reconnects after any error.
    private static func lane(_ lane: Int, of lanes: Int, rate: Double, start: ContinuousClock.Instant, offerEnd: ContinuousClock.Instant,
                             drainEnd: ContinuousClock.Instant, address: HostPort, client: WireClient,
                             make: @escaping @Sendable (Int) throws -> SignedTransaction, journal: ChaosJournal, counts: ChaosCounts) async {
        var next = lane
        var current: ChaosPending?
        var failures = 0
        /// The lane's next transaction, at its due time; nil once the offer window is over.
        func take() async -> ChaosPending? {
            guard ContinuousClock.now < offerEnd else { return nil }
            let due = start + .milliseconds(Int64(Double(next) / rate * 1000))
            if due > ContinuousClock.now { try? await Task.sleep(until: due) }   // sleep: open-loop pacing of the offered load
            guard let tx = try? make(next) else { return nil }
            next += lanes
            journal.sent(tx)
            counts.add { $0.sent += 1 }
            return ChaosPending(tx: tx, request: GatewaySubmit(transaction: tx, waitMillis: 10_000).canonicalBytes, first: ContinuousClock.now)
        }
        current = await take()
        while let pending = current {
            guard ContinuousClock.now < drainEnd else {
                journal.unacked(pending.tx)
                counts.add { $0.unacked += 1 }
                return
            }
            do {
                try await client.withConnection(host: address.host, port: address.port, expecting: .gateway) { conn in
                    while var p = current {
                        if p.attempts > 0 { counts.add { $0.resubmits += 1 } }
                        p.attempts += 1
                        current = p
                        let answer = try await conn.request(GatewayAPI.submit, p.request, timeout: .seconds(15))
                        let outcome = try GatewayOutcome(canonicalBytes: answer)
                        switch outcome.state {
                        case .pending:
                            guard ContinuousClock.now < drainEnd else { return }
                            continue   // the gateway waited its 10 s: ask again with the same bytes
                        case .committed(let receipt):
                            let ms = (ContinuousClock.now - p.first) / .milliseconds(1)
                            // Verified now when the sets reach its height, else after the run.
                            var verified: Bool? = true
                            do { try receipt.verify(id: p.tx.id, validatorSet: counts.sets) } catch let e as ProofFailure {
                                verified = e.needsSetsThrough != nil ? nil : false
                            } catch { verified = false }
                            journal.acked(p.tx, receipt: receipt, millis: ms, attempts: p.attempts, verified: verified)
                            counts.add { $0.acked += 1; $0.latencies.append(ms); if verified == false { $0.unverified += 1 } }
                            if verified == nil { counts.deferVerification(ChaosDeferred(id: p.tx.id, receipt: receipt)) }
                        case .rejected(let why):
                            journal.rejected(p.tx, why: "\(why)")
                            counts.add { $0.rejected += 1 }
                        }
                        failures = 0
                        current = await take()
                    }
                }
            } catch {
                // Any failure (gateway gone, refused, timed out, rate limited): back off and resubmit
                // the same transaction, on a new connection.
                counts.add { $0.errors += 1 }
                failures += 1
                var pause = min(100 * (1 << min(failures, 4)), 2_000)
                if let e = error as? WireError, case .rateLimited(let hint) = e.code { pause = Int(min(max(hint, 1), 2_000)) }
                try? await Task.sleep(for: .milliseconds(pause))   // sleep: backoff before reconnecting
            }
        }
    }
}

/// A transaction waiting for its acknowledgement.
struct ChaosPending: Sendable {
    var tx: SignedTransaction
    var request: [UInt8]
    var first: ContinuousClock.Instant
    var attempts = 0
}

/// A receipt left to verify after the run.
struct ChaosDeferred: Sendable {
    var id: TransactionID
    var receipt: Receipt
}

/// Totals of a chaos-load run, shared by its lanes, with the validator sets receipts verify against.
final class ChaosCounts: Sendable {
    struct Totals: Sendable { var sent = 0, acked = 0, rejected = 0, unacked = 0, resubmits = 0, errors = 0, unverified = 0; var latencies: [Double] = [] }
    private let totals = Mutex(Totals())
    private let deferred = Mutex<[ChaosDeferred]>([])
    /// The sets from the genesis (the lanes verify with these; the rest waits for the end).
    let sets: TrustedValidatorSets
    init(sets: TrustedValidatorSets) { self.sets = sets }
    func add(_ change: (inout Totals) -> Void) { totals.withLock { change(&$0) } }
    func snapshot() -> Totals { totals.withLock { $0 } }
    func deferVerification(_ d: ChaosDeferred) { deferred.withLock { $0.append(d) } }
    func takeDeferred() -> [ChaosDeferred] { deferred.withLock { d in defer { d = [] }; return d } }
}

/// The record of every transaction's fate, one JSON line per event, each written whole with one
/// `write` as it happens (a kill loses no acknowledged line).
final class ChaosJournal: Sendable {
    private let handle: Mutex<FileHandle>

    init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else { throw ValidationError("--record: cannot create \(path)") }
        }
        guard let h = FileHandle(forWritingAtPath: path) else { throw ValidationError("--record: cannot open \(path) for writing") }
        h.seekToEndOfFile()
        handle = Mutex(h)
    }

    private func write(_ line: String) {
        handle.withLock { $0.write(Data((line + "\n").utf8)) }
    }

    private static func payloadHash(_ tx: SignedTransaction) -> String {
        if case .putRecord(_, _, let hash) = tx.body.operation { return hash.hex }
        return ""
    }

    func sent(_ tx: SignedTransaction) {
        write(#"{"event":"sent","id":"\#(tx.id.hash.hex)","payload":"\#(Self.payloadHash(tx))"}"#)
    }

    /// `verified` nil: left for `verified(_:why:)` after the run.
    func acked(_ tx: SignedTransaction, receipt: Receipt, millis: Double, attempts: Int, verified: Bool?) {
        write(#"{"event":"ack","id":"\#(tx.id.hash.hex)","payload":"\#(Self.payloadHash(tx))","height":\#(receipt.height),"index":\#(receipt.index),"block":"\#(receipt.blockHash.hex)","ms":\#(String(format: "%.1f", millis)),"attempts":\#(attempts),"verified":\#(verified.map { "\($0)" } ?? "null")}"#)
    }

    func verified(_ id: TransactionID, why: String?) {
        write(#"{"event":"verify","id":"\#(id.hash.hex)","verified":\#(why == nil)\#(why.map { ",\"why\":" + JSONString.quote($0) } ?? "")}"#)
    }

    func rejected(_ tx: SignedTransaction, why: String) {
        write(#"{"event":"rejected","id":"\#(tx.id.hash.hex)","payload":"\#(Self.payloadHash(tx))","why":\#(JSONString.quote(why))}"#)
    }

    func unacked(_ tx: SignedTransaction) {
        write(#"{"event":"unacked","id":"\#(tx.id.hash.hex)","payload":"\#(Self.payloadHash(tx))"}"#)
    }
}
