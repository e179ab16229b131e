import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import Synchronization
import Testing
@testable import CityValidator
@preconcurrency import Crypto

/// Four `citychain-validator` processes on loopback with TLS: a shared chain under load, kill -9
/// of one under load and its catch-up by block sync, loss and return of quorum, a fifth process
/// added as an observer and promoted by admin transaction.
@Suite(.serialized) struct ValidatorProcessTests {
    typealias F = MempoolFixture

    @Test func fourProcessesSurviveKillsKeepOneChainAndPromoteAnObserver() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: ValidatorProcess.binary.path), "build the executables first (swift build)")
        let cluster = try TestCluster()
        let genesisPath = cluster.root + "/genesis.json"
        try F.genesis.toJSON().write(to: URL(fileURLWithPath: genesisPath))
        let ports = TestCluster.freePorts(5)
        let addresses = ports.map { "127.0.0.1:\($0)" }
        let observerKey = Curve25519.Signing.PrivateKey()
        var procs = try (0..<4).map { i in
            try ValidatorProcess(name: "validator-\(i)", port: ports[i], dir: cluster.root, ca: cluster.ca, genesisPath: genesisPath,
                                 validatorKey: Array(F.validatorKeys[i].rawRepresentation), peers: Array(addresses.prefix(4)))
        }
        procs.append(try ValidatorProcess(name: "validator-4", port: ports[4], dir: cluster.root, ca: cluster.ca, genesisPath: genesisPath,
                                          validatorKey: Array(observerKey.rawRepresentation), peers: Array(addresses.prefix(4))))
        for p in procs.prefix(4) { try await p.start() }
        let client = try cluster.client(.admin)
        do {
            try await loadWithAKill(procs, client: client)
            try await aLostSignRecordIsRefused(procs[3], client: client)
            try await quorumLossAndReturn(procs, client: client)
            try await observerPromotion(procs, observerKey: observerKey, client: client, cluster: cluster, genesisPath: genesisPath)
        } catch {
            for p in procs { print("--- \(p.name)\n\(p.tail())") }
            throw error
        }
        for p in procs { #expect(await p.terminate() == 0, "\(p.name) exits cleanly on SIGTERM") }
    }

    /// A validator whose `consensus.sign` is deleted after it has signed on the chain refuses to
    /// start (it could double-sign the height in progress), and starts once the operator says the
    /// record is lost (`--sign-record-lost`).
    func aLostSignRecordIsRefused(_ p: ValidatorProcess, client: WireClient) async throws {
        await p.kill9()
        try FileManager.default.removeItem(atPath: p.dataDirectory + "/consensus.sign")
        do {
            try await p.start()
            Issue.record("a validator without its sign record started")
        } catch is ProcessFailure {
            #expect(p.tail().contains("the sign record is missing, but this validator's key signed the commit certificate"), "\(p.tail())")
        }
        p.extraArguments = ["--sign-record-lost"]
        try await p.start()
        p.extraArguments = []
        #expect(FileManager.default.fileExists(atPath: p.dataDirectory + "/consensus.sign"), "the record is back before anything is signed")
        let s: ValidatorStatus = try await client.call(p.address, ValidatorAPI.status, Empty())
        #expect(s.voting, "it votes again")
    }

    /// 300 transactions spread over the validators; validator 3 is killed -9 after 100 and
    /// restarted after the load: every acknowledged transaction is committed, once, and the
    /// restarted process catches up to the same chain.
    func loadWithAKill(_ procs: [ValidatorProcess], client: WireClient) async throws {
        var acknowledged: [TransactionID] = []
        for i in 1...300 {
            if i == 100 { await procs[3].kill9() }
            let tx = F.parking(UInt64(i), expires: 900)
            for attempt in 0..<4 {   // a client retries on another validator when one is down
                let target = procs[(i + attempt) % 4]
                guard target.isRunning else { continue }
                if let r = try? await client.submit(tx, to: target.address) {
                    if r.status == .pending || { if case .committed = r.status { true } else { false } }() { acknowledged.append(r.id) }
                    break
                }
            }
        }
        #expect(acknowledged.count == 300)
        let lastAcknowledged = acknowledged.suffix(20)
        try await eventually("every acknowledged transaction is committed", seconds: 60) {
            for id in lastAcknowledged { guard case .committed = try await client.call(procs[0].address, ValidatorAPI.txStatus, TxStatusRequest(id: id), as: TxStatus.self) else { return false } }
            return true
        }
        let chain = try await client.blocks(procs[0].address)
        let committed = chain.flatMap(\.block.transactions).map(\.id)
        #expect(Set(committed) == Set(acknowledged), "every acknowledged transaction, nothing else")
        #expect(committed.count == Set(committed).count, "each once")
        try await procs[3].start()
        let target = chain.last!.height
        try await eventually("the killed validator catches up by block sync", seconds: 60) {
            let s: ValidatorStatus = try await client.call(procs[3].address, ValidatorAPI.status, Empty())
            return s.height >= target
        }
        let synced = try await client.blocks(procs[3].address).prefix(chain.count).map(\.block.header.hash)
        #expect(Array(synced) == chain.map(\.block.header.hash), "the same chain")
    }

    /// With 2 of 4 killed nothing commits and nothing forks; restarted, the pending transaction commits.
    func quorumLossAndReturn(_ procs: [ValidatorProcess], client: WireClient) async throws {
        await procs[2].kill9()
        await procs[3].kill9()
        let before: ValidatorStatus = try await client.call(procs[0].address, ValidatorAPI.status, Empty())
        let tx = F.parking(5000, expires: 900)
        let r = try await client.submit(tx, to: procs[0].address, waitMillis: 3000)
        #expect(r.status == .pending, "no quorum, no commit")
        let after: ValidatorStatus = try await client.call(procs[1].address, ValidatorAPI.status, Empty())
        #expect(after.height == before.height)
        try await procs[2].start()
        try await procs[3].start()
        try await eventually("the transaction commits once quorum is back", seconds: 60) {
            if case .committed = try await client.submit(tx, to: procs[1].address).status { return true }
            return false
        }
        let a = try await client.blocks(procs[0].address).map(\.block.header.hash)
        let b = try await client.blocks(procs[2].address).map(\.block.header.hash)
        let n = min(a.count, b.count)
        #expect(n > 0 && Array(a.prefix(n)) == Array(b.prefix(n)), "no fork")
    }

    /// A fifth process follows as an observer, then an admin transaction makes it a validator.
    func observerPromotion(_ procs: [ValidatorProcess], observerKey: Curve25519.Signing.PrivateKey, client: WireClient,
                           cluster: TestCluster, genesisPath: String) async throws {
        let observer = procs[4]
        try await observer.start()
        let tip: ValidatorStatus = try await client.call(procs[0].address, ValidatorAPI.status, Empty())
        try await eventually("the observer follows", seconds: 60) {
            let s: ValidatorStatus = try await client.call(observer.address, ValidatorAPI.status, Empty())
            return s.height >= tip.height && !s.voting
        }
        // The operator's way (docs/OPERATIONS.md): admin-a proposes with the real CLI, admin-b
        // co-signs the file, and it is submitted to a validator.
        let dir = cluster.root
        let ops = try cluster.ca.issue(role: .admin, name: "city-ops")
        try PEMFiles.write(ops.certificatePEM, to: dir + "/ops.pem", secret: false)
        try PEMFiles.write(ops.privateKeyPEM, to: dir + "/ops.key", secret: true)
        try PEMFiles.write(cluster.ca.certificatePEM, to: dir + "/ops-ca.pem", secret: false)
        for admin in ["admin-a", "admin-b"] {
            let k = F.key(admin)
            try PEMFiles.write(#"{"kind": "signing", "publicKey": "\#(Hex.encode(k.publicKey.rawRepresentation))", "privateKey": "\#(Hex.encode(k.rawRepresentation))"}"#,
                               to: "\(dir)/\(admin).json", secret: true)
        }
        try PEMFiles.write(#"{"op": "changeValidatorSet", "changes": [{"publicKey": "\#(observerKey.ledgerPublicKey.hex)", "power": 10, "name": "v4"}]}"#,
                           to: dir + "/change.json", secret: false)
        let tls = ["--cert", dir + "/ops.pem", "--key", dir + "/ops.key", "--ca", dir + "/ops-ca.pem"]
        let proposal = dir + "/proposal.json"
        let proposed = try await runCLI(["admin", "propose", "--tx-file", dir + "/change.json", "--agency", "admin-a", "--signing-key", dir + "/admin-a.json",
                                         "--validator", procs[0].address, "--out", proposal] + tls)
        #expect(proposed.status == 0, "\(proposed.output)")
        let signed = try await runCLI(["admin", "sign", proposal, "--agency", "admin-b", "--signing-key", dir + "/admin-b.json", "--genesis", genesisPath])
        #expect(signed.status == 0, "\(signed.output)")
        let shown = try await runCLI(["admin", "show", proposal, "--genesis", genesisPath])
        #expect(shown.output.contains("admin signatures verified: 2 of the 2"), "\(shown.output)")
        let submitted = try await runCLI(["admin", "submit", proposal, "--validator", procs[1].address, "--wait", "20000", "--output", "json"] + tls,
                                         seconds: 40)
        #expect(submitted.status == 0 && submitted.output.contains(#""status": "committed""#), "\(submitted.output)")
        let answer = submitted.output.split(separator: "\n").last { $0.hasPrefix("{") }.map { Data($0.utf8) } ?? Data()
        let changeID = ((try? JSONSerialization.jsonObject(with: answer)) as? [String: Any])?["id"] as? String
        guard let changeID, let id = TransactionID(hex: changeID),
              case .committed(let place) = try await client.call(procs[0].address, ValidatorAPI.txStatus, TxStatusRequest(id: id), as: TxStatus.self) else {
            Issue.record("validator change not committed: \(submitted.output)"); return
        }
        try await eventually("the promoted process votes", seconds: 60) {
            let s: ValidatorStatus = try await client.call(observer.address, ValidatorAPI.status, Empty())
            return s.voting
        }
        for i in 1...10 { _ = try await client.submit(F.parking(UInt64(6000 + i), expires: 900), to: procs[i % 5].address, waitMillis: 10_000) }
        let later = try await client.blocks(procs[0].address, from: place.height + LedgerLimits.validatorChangeDelayHeights + 1)
        #expect(later.contains { $0.certificate.signatures.contains { $0.validator == observerKey.ledgerPublicKey } },
                "the promoted validator's precommits are in later certificates")
        // The operator checks the promotion with `citychain status --output json`: the set hash
        // moved off the genesis set's, and the last block's hash is there for --trust-hash.
        let status = try await runCLI(["status", "--validator", procs[0].address, "--validator", observer.address, "--output", "json"] + tls)
        let rows = (try? JSONSerialization.jsonObject(with: Data(status.output.utf8))) as? [[String: Any]] ?? []
        #expect(status.status == 0 && rows.count == 2, "\(status.output)")
        let genesisSetHash = try ValidatorSet(F.genesis.validators).hash.hex
        #expect(rows.allSatisfy { ($0["validatorSetHash"] as? String).map { $0 != genesisSetHash && $0.count == 64 } ?? false }, "\(status.output)")
        #expect(rows.allSatisfy { ($0["lastBlockHash"] as? String)?.count == 64 && ($0["voting"] as? Bool) == true }, "\(status.output)")
        // Power per validator: the promoted one holds 10 of the grown set's 50.
        #expect(rows.allSatisfy { ($0["power"] as? Int) == 10 && ($0["totalPower"] as? Int) == 50 }, "\(status.output)")
        // ... and reads a later block's certificate: the promoted validator among its signers, with its power.
        let block = try await runCLI(["block", "--validator", procs[0].address, "--output", "json"] + tls)
        let certificate = (try? JSONSerialization.jsonObject(with: Data(block.output.utf8))) as? [String: Any] ?? [:]
        let signers = certificate["signers"] as? [[String: Any]] ?? []
        #expect(block.status == 0 && (certificate["signedByCurrentSet"] as? Bool) == true && (certificate["totalPower"] as? Int) == 50,
                "\(block.output)")
        #expect((certificate["signedPower"] as? Int).map { $0 * 3 > 100 } ?? false, "a quorum signed: \(block.output)")
        #expect(signers.allSatisfy { ($0["power"] as? Int) == 10 && $0["name"] is String }, "\(block.output)")
    }
}
