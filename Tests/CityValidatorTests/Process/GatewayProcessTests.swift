import CityTestSupport
import CityChainAPI
import CityEncoding
import CityLedger
import CityMerkle
import CityPKI
import CityWire
import Foundation
import Synchronization
import Testing
@testable import CityValidator

/// A real `citychain-gateway` process in front of four `citychain-validator` processes on
/// loopback: receipts that verify offline, idempotent resubmission, 1,000 transactions through the
/// gateway with a validator killed -9 under them (every acknowledged one on the chain exactly
/// once), health-aware routing, per-agency rate limits that do not slow other agencies, and
/// certificates without the agency role refused.
@Suite(.serialized) struct GatewayProcessTests {
    typealias F = MempoolFixture

    @Test func receiptsFailoverRateLimitsAndRoles() async throws {
        let gatewayBinary = ValidatorProcess.sibling("citychain-gateway")
        try #require(FileManager.default.isExecutableFile(atPath: gatewayBinary.path), "build the executables first (swift build)")
        let cluster = try TestCluster()
        let genesisPath = cluster.root + "/genesis.json"
        try F.genesis.toJSON().write(to: URL(fileURLWithPath: genesisPath))
        let ports = TestCluster.freePorts(5)
        let addresses = ports.prefix(4).map { "127.0.0.1:\($0)" }
        let validators = try (0..<4).map { i in
            try ValidatorProcess(name: "validator-\(i)", port: ports[i], dir: cluster.root, ca: cluster.ca, genesisPath: genesisPath,
                                 validatorKey: Array(F.validatorKeys[i].rawRepresentation), peers: addresses)
        }
        let gateway = try ValidatorProcess(name: "gateway-0", role: .gateway, port: ports[4], executable: gatewayBinary,
                                           dir: cluster.root, ca: cluster.ca) { certFlags in
            ["--listen", "127.0.0.1:\(ports[4])"] + certFlags
                + ["--genesis", genesisPath, "--submit-rate", "5000:5000", "--agency-rate", "hospital=5:5", "--log-level", "info"]
                + addresses.flatMap { ["--validator", $0] }
        }
        for v in validators { try await v.start() }
        try await gateway.start()
        let g = gateway.address
        let tax = try cluster.client(.agency("tax-office"))
        do {
            try await eventually("the gateway sees four healthy validators", seconds: 30) {
                let s: GatewayStatus = try await tax.gateway(g, GatewayAPI.status, Empty())
                return s.validators.filter(\.healthy).count == 4
            }
            try await receiptsVerifyAndResubmissionIsIdempotent(g, tax)
            try await thousandWithAKill(g, tax, validators: validators, admin: try cluster.client(.admin))
            try await rateLimitsArePerAgency(g, tax, hospital: try cluster.client(.agency("hospital")))
            try await rolesAndSignersAreChecked(g, cluster: cluster, tax: tax)
        } catch {
            print("--- gateway\n\(gateway.tail())")
            for v in validators { print("--- \(v.name)\n\(v.tail())") }
            throw error
        }
        let exit = await gateway.terminate()
        #expect(exit == 0, "the gateway exits cleanly on SIGTERM; its log ends:\n\(gateway.tail())")
        for v in validators where v.isRunning { _ = await v.terminate() }
    }

    /// A receipt verifies against the genesis validator set, also saved and reloaded; a flipped
    /// byte fails; the same transaction again (submit or receipt kind) gets the same place.
    func receiptsVerifyAndResubmissionIsIdempotent(_ g: String, _ tax: WireClient) async throws {
        let set = try ValidatorSet(F.genesis.validators)
        let tx = F.parking(1, expires: 900)
        let first: GatewayOutcome = try await tax.gateway(g, GatewayAPI.submit, GatewaySubmit(transaction: tx, waitMillis: 20_000))
        guard case .committed(let receipt) = first.state else { Issue.record("not committed: \(first)"); return }
        try receipt.verify(id: tx.id, validatorSet: set)
        let saved = SavedAnswer(kind: GatewayAPI.submit, query: TxStatusRequest(id: tx.id).canonicalBytes, answer: receipt.canonicalBytes)
        let reloaded = try SavedAnswer(canonicalBytes: saved.canonicalBytes)
        #expect(try reloaded.verify(validatorSet: set).contains("final at height \(receipt.height)"))
        // Flip one byte of the transaction inside the receipt: the proof no longer holds.
        var bad = receipt
        bad.proven.transaction.body.nonce ^= 1
        #expect(throws: ProofFailure.self) { try bad.verify(id: bad.id, validatorSet: set) }
        var wrongPlace = receipt
        wrongPlace.proven.proof = InclusionProof(index: receipt.proven.proof.index ^ 1, leafCount: receipt.proven.proof.leafCount,
                                                 siblings: receipt.proven.proof.siblings)
        if receipt.proven.proof.leafCount > 1 {
            #expect(throws: ProofFailure.self) { try wrongPlace.verify(id: tx.id, validatorSet: set) }
        }
        #expect(throws: ProofFailure.self) { try receipt.verify(id: F.parking(2).id, validatorSet: set) }

        let again: GatewayOutcome = try await tax.gateway(g, GatewayAPI.submit, GatewaySubmit(transaction: tx, waitMillis: 20_000))
        guard case .committed(let second) = again.state else { Issue.record("resubmission not committed: \(again)"); return }
        #expect((second.height, second.index, second.blockHash) == (receipt.height, receipt.index, receipt.blockHash), "the same receipt")
        let asked: GatewayOutcome = try await tax.gateway(g, GatewayAPI.receipt, TxStatusRequest(id: tx.id))
        guard case .committed(let third) = asked.state else { Issue.record("receipt kind: \(asked)"); return }
        #expect((third.height, third.index) == (receipt.height, receipt.index))
    }

    /// 1,000 transactions from 20 concurrent clients through the gateway, each waiting for its
    /// receipt and retrying on errors; validator 3 is killed -9 after 300 receipts. Every
    /// acknowledged transaction is on the chain exactly once, at the place its receipt names; the
    /// gateway marks the killed validator unhealthy and stops routing to it.
    func thousandWithAKill(_ g: String, _ tax: WireClient, validators: [ValidatorProcess], admin: WireClient) async throws {
        let receipts = Locked<[TransactionID: Receipt]>([:])
        let retries = Locked(0)
        let set = try ValidatorSet(F.genesis.validators)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await eventually("300 receipts before the kill", seconds: 60) { receipts.withLock { $0.count } >= 300 }
                await validators[3].kill9()
            }
            for worker in 0..<20 {
                group.addTask {
                    for j in 0..<50 {
                        let tx = F.parking(UInt64(10_000 + worker * 50 + j), expires: 5000)
                        var backoff = Backoff(first: .milliseconds(100), cap: .milliseconds(100))   // a client's pause before retrying
                        for attempt in 0..<20 {
                            do {
                                let o: GatewayOutcome = try await tax.gateway(g, GatewayAPI.submit, GatewaySubmit(transaction: tx, waitMillis: 20_000))
                                if case .committed(let r) = o.state {
                                    try r.verify(id: tx.id, validatorSet: set)
                                    receipts.withLock { $0[tx.id] = r }
                                    break
                                }
                                if case .rejected(let why) = o.state { Issue.record("rejected: \(why)"); break }
                            } catch {
                                if attempt == 19 { Issue.record("gave up on \(tx.id): \(error)") }
                            }
                            retries.withLock { $0 += 1 }
                            _ = try await backoff.wait()
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let acknowledged = receipts.withLock { $0 }
        #expect(acknowledged.count == 1000, "every transaction acknowledged with a receipt (\(retries.withLock { $0 }) retries)")
        #expect(!validators[3].isRunning, "validator 3 was killed under load")
        let chain = try await admin.blocks(validators[0].address)
        var places: [TransactionID: [(UInt64, Int)]] = [:]
        for b in chain { for (i, t) in b.block.transactions.enumerated() { places[t.id, default: []].append((b.height, i)) } }
        for (id, r) in acknowledged {
            let p = places[id] ?? []
            #expect(p.count == 1, "\(id) is on the chain exactly once (found \(p.count))")
            if let (h, i) = p.first { #expect(h == r.height && i == Int(r.index), "at the place its receipt names") }
        }
        try await eventually("the gateway marks the killed validator unhealthy", seconds: 20) {
            let s: GatewayStatus = try await tax.gateway(g, GatewayAPI.status, Empty())
            return s.validators.first { $0.address == validators[3].address }?.healthy == false && s.validators.filter(\.healthy).count == 3
        }
    }

    /// The hospital (5/s, burst 5) is told to slow down with a retry-after; the tax office (5,000/s)
    /// submitting at the same time is never limited.
    func rateLimitsArePerAgency(_ g: String, _ tax: WireClient, hospital: WireClient) async throws {
        let limited = Locked<[WireError]>([])
        let taxLimited = Locked(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await hospital.withGateway(g) { conn in
                    for n in 0..<30 {
                        let tx = F.tx("hospital", F.put("land.parcels", "h-\(n)", [1]), nonce: UInt64(50_000 + n), expires: 5000)
                        do { _ = try await conn.request(GatewayAPI.submit, GatewaySubmit(transaction: tx, waitMillis: 0).canonicalBytes) }
                        catch let e as WireError { limited.withLock { $0.append(e) } }
                    }
                }
            }
            group.addTask {
                try await tax.withGateway(g) { conn in
                    for n in 0..<30 {
                        let tx = F.parking(UInt64(60_000 + n), expires: 5000)
                        do { _ = try await conn.request(GatewayAPI.submit, GatewaySubmit(transaction: tx, waitMillis: 0).canonicalBytes) }
                        catch let e as WireError where { if case .rateLimited = e.code { true } else { false } }() { taxLimited.withLock { $0 += 1 } }
                    }
                }
            }
            try await group.waitForAll()
        }
        let errors = limited.withLock { $0 }
        #expect(errors.count >= 20, "30 quick submits at 5/s burst 5: most are refused (\(errors.count))")
        for e in errors {
            guard case .rateLimited(let ms) = e.code else { Issue.record("not a rate-limit error: \(e)"); continue }
            #expect(ms > 0 && ms <= 1000)
            #expect(e.message.contains("hospital") && e.message.contains("retry after"))
        }
        #expect(taxLimited.withLock { $0 } == 0, "the other agency is not limited")
    }

    /// Certificates without the agency role are refused; an agency may not submit another's transaction.
    func rolesAndSignersAreChecked(_ g: String, cluster: TestCluster, tax: WireClient) async throws {
        let tx = F.parking(70_000, expires: 5000)
        for role in [Role.validator, .indexer, .admin] {
            let c = try cluster.client(role)
            await #expect(throws: WireError.self) {
                let _: GatewayOutcome = try await c.gateway(g, GatewayAPI.submit, GatewaySubmit(transaction: tx, waitMillis: 0))
            }
        }
        let other = F.tx("land-bureau", F.put("land.parcels", "p-1", [1]), nonce: 70_001, expires: 5000)
        do {
            let _: GatewayOutcome = try await tax.gateway(g, GatewayAPI.submit, GatewaySubmit(transaction: other, waitMillis: 0))
            Issue.record("a transaction signed by another agency was accepted")
        } catch let e as WireError {
            #expect(e.code == .forbidden && e.message.contains("land-bureau"))
        }
        var forged = F.parking(70_002, expires: 5000)
        forged.body.nonce += 1   // signature no longer matches the body
        let o: GatewayOutcome = try await tax.gateway(g, GatewayAPI.submit, GatewaySubmit(transaction: forged, waitMillis: 0))
        #expect(o.state == .rejected(.badSignature(F.signer("tax-office"))), "refused at the gateway with the ledger's rejection")
    }
}

extension WireClient {
    func gateway<T: CanonicalDecodable & Sendable>(_ address: String, _ kind: MessageKind, _ payload: some CanonicalEncodable,
                                                  as: T.Type = T.self) async throws -> T {
        try await withGateway(address) { c in try T(canonicalBytes: try await c.request(kind, payload.canonicalBytes, timeout: .seconds(40))) }
    }

    func withGateway<T: Sendable>(_ address: String, _ body: (WireConnection) async throws -> T) async throws -> T {
        let hp = HostPort(address)!
        return try await withConnection(host: hp.host, port: hp.port, expecting: .gateway, body)
    }
}

/// A value shared by test tasks.
final class Locked<T: Sendable>: Sendable {
    private let m: Mutex<T>
    init(_ value: T) { m = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout T) -> R) -> R { m.withLock { body(&$0) } }
}
