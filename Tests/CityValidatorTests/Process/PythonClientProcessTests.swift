import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import Foundation
import Testing
@testable import CityValidator

/// The Python client (clients/python, written from docs/PROTOCOL.md) against four real
/// `citychain-validator` processes: over mutual TLS 1.3 it reads a validator's status, signs a
/// putRecord with the agency's key (format 2: payload detached), waits for its commit, submits it
/// again (the same commit), and gets a forged signature refused with the ledger's reason; then it
/// reads the record back from a real `citychain-indexer` (on a private PostgreSQL) and verifies the
/// answer's proofs against the genesis validator set (a tampered payload is refused); the Swift side
/// finds the Python-made transaction committed under the same id. A second session goes through a
/// real `citychain-gateway`, its receipt verified against the genesis set.
@Suite(.serialized) struct PythonClientProcessTests {
    typealias F = MempoolFixture

    /// Runs python3 with `arguments` to its end: exit status and output (stdout and stderr).
    static func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, output)
    }

    @Test(.timeLimit(.minutes(3))) func thePythonClientSubmitsThroughARealValidator() async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("clients/python/examples/submit_parking_session.py").path
        try #require(FileManager.default.fileExists(atPath: script))
        let city = try await CityProcesses.start(genesis: F.genesis)
        defer { Task { await city.stop() } }
        let (cluster, genesisPath, addresses, indexer, gateway) = (city.cluster, city.genesisPath, city.addresses, city.indexer, city.gateway)
        try city.issueAgency("tax-office")

        let (exit, output) = try Self.python([script, "--validator", addresses[2], "--cert", cluster.root + "/tax-office.pem", "--key", cluster.root + "/tax-office.key",
                                                 "--ca", cluster.root + "/ca.pem", "--agency", "tax-office",
                                                 "--signing-key-hex", Hex.encode(Array(F.key("tax-office").rawRepresentation)),
                                                 "--indexer", indexer.address, "--gateway", gateway.address, "--genesis", genesisPath])
        #expect(exit == 0, "the Python client: \(output)")
        let line = output.split(separator: "\n").last.map(String.init) ?? ""
        let result = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        #expect(result["status"] as? String == "committed" && result["again"] as? String == "committed" && result["same_commit"] as? Bool == true,
                "\(output)")
        #expect(result["forged"] as? String == "rejected" && result["forged_rejection_code"] as? Int == 10, "badSignature: \(output)")
        #expect(result["read"] as? String == "verified" && result["read_payload_matches"] as? Bool == true, "the proven read: \(output)")
        #expect(result["forged_read"] as? String == "refused" && result["unknown_dataset"] as? String == "notFound", "\(output)")
        #expect(result["gateway"] as? String == "committed" && result["receipt"] as? String == "verified", "the gateway's receipt: \(output)")
        // A saved answer the Swift CLI wrote verifies offline with the Python client, and a damaged one does not.
        let tls = city.tls("tax-office")
        let saved = try await runCLI(["query", "record", "--indexer", indexer.address, "--dataset", "parking.sessions", "--subject", "bay-12",
                                      "--genesis", genesisPath, "--save", cluster.root + "/record.ans"] + tls)
        #expect(saved.status == 0 && saved.output.contains("proofs: verified"), "\(saved.output)")
        let verifier = script.replacingOccurrences(of: "submit_parking_session.py", with: "verify_answer.py")
        let verified = try Self.python([verifier, cluster.root + "/record.ans", "--genesis", genesisPath])
        #expect(verified.status == 0 && verified.output.contains("verified: record parking.sessions/bay-12"), "\(verified.output)")
        var damaged = try Data(contentsOf: URL(fileURLWithPath: cluster.root + "/record.ans"))
        damaged[damaged.count - 40] ^= 0x01
        try damaged.write(to: URL(fileURLWithPath: cluster.root + "/damaged.ans"))
        let refused = try Self.python([verifier, cluster.root + "/damaged.ans", "--genesis", genesisPath])
        #expect(refused.status != 0 && refused.output.contains("NOT verified"), "\(refused.output)")

        // The Swift side sees the Python-made transaction under the same id.
        let id = try #require(TransactionID(hex: result["id"] as? String ?? ""))
        let status: TxStatus = try await cluster.client().call(addresses[0], ValidatorAPI.txStatus, TxStatusRequest(id: id))
        guard case .committed(let at) = status else { Issue.record("not committed on validator-0: \(status)"); return }
        #expect(UInt64(result["height"] as? Int ?? -1) == at.height)
    }
}
