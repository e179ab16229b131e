import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import Foundation
import Testing
@testable import CityValidator

/// The Python SDK (clients/python) against real processes — four `citychain-validator`s, a
/// `citychain-indexer` on a private PostgreSQL and a `citychain-gateway` — on a chain with the city
/// demo's three datasets (parking-sessions public, property-registrations internal, medical-records
/// restricted). The validator set changes first (v0's power 10 → 20, an admin transaction), so every
/// answer the examples verify is signed by a set the genesis does not name: the SDK follows the
/// change from the genesis (0x020B). Each example writes and reads back, verified:
/// `parking_sessions.py` (a dataset query with predicates, transaction and block queries, a forged
/// answer refused), `property_registrations.py` (a denial as a typed error, a grant, the audit
/// trail), `medical_records.py` (a sealed record, a denial, a key shared on chain and fetched with
/// 0x020D) and `watch_feed.py` (a feed through the gateway, its connection dropped and resumed on the
/// indexer, then resumed from its cursor file: exactly once). A dataset answer the Python client
/// saved verifies with `citychain verify` and the sets the Python client followed, and one the Swift
/// CLI saved verifies in Python with the CLI's set cache.
@Suite(.serialized) struct PythonSDKProcessTests {
    typealias F = MempoolFixture

    static var genesis: Genesis {
        F.makeGenesis(datasets: [
            GenesisDataset(id: F.ds("medical-records"), owner: F.id("hospital"), sensitivity: .restricted, schema: "medical-record.v1", writers: []),
            GenesisDataset(id: F.ds("property-registrations"), owner: F.id("land-bureau"), sensitivity: .internal, schema: "property-registration.v1",
                           writers: []),
            GenesisDataset(id: F.ds("parking-sessions"), owner: F.id("tax-office"), sensitivity: .public, schema: "parking-session.v1", writers: []),
        ])
    }

    /// The last line of `output` as a JSON object.
    static func lastJSON(_ output: String) -> [String: Any] {
        let line = output.split(separator: "\n").last.map(String.init) ?? ""
        return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
    }

    @Test(.timeLimit(.minutes(5))) func theSDKWritesReadsWatchesAndVerifiesAcrossAValidatorSetChange() async throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("clients/python/examples").path
        try #require(FileManager.default.fileExists(atPath: examples + "/parking_sessions.py"))
        let city = try await CityProcesses.start(genesis: Self.genesis)
        defer { Task { await city.stop() } }
        let (cluster, root, genesisPath, addresses, indexer, gateway) = (city.cluster, city.root, city.genesisPath, city.addresses, city.indexer, city.gateway)
        // The validator set changes before anything is written: v0's power 10 → 20.
        let v0 = F.validatorKeys[0].ledgerPublicKey
        let change = F.tx("admin-a", .changeValidatorSet(changes: [ValidatorChange(publicKey: v0, power: 20, name: "v0")]), nonce: 77, expires: 500,
                          cosigners: ["admin-b"])
        let submitted = try await cluster.client().submit(change, to: addresses[1], waitMillis: 20_000)
        guard case .committed(let at) = submitted.status else { Issue.record("the validator change did not commit: \(submitted)"); return }

        // The agencies' certificates and keys, as the examples read them.
        var agencies: [String: Any] = [:]
        for agency in ["hospital", "land-bureau", "tax-office"] {
            try city.issueAgency(agency)
            agencies[agency] = ["cert": "\(root)/\(agency).pem", "key": "\(root)/\(agency).key",
                                "signingKey": Hex.encode(Array(F.key(agency).rawRepresentation)), "keyID": 1,
                                "sealingKey": Hex.encode(Array(F.sealKey(agency).rawRepresentation)), "sealingKeyID": 2]
        }
        let spec = try JSONSerialization.data(withJSONObject: ["ca": root + "/ca.pem", "agencies": agencies], options: [.sortedKeys])
        try spec.write(to: URL(fileURLWithPath: root + "/agencies.json"))
        let common = ["--agencies", root + "/agencies.json", "--genesis", genesisPath, "--gateway", gateway.address]

        // Parking sessions (public): writes, a proven read, a dataset query with predicates, a
        // transaction and a block, a forged answer refused; the genesis set alone is refused.
        let parking = try PythonClientProcessTests.python([examples + "/parking_sessions.py"] + common
                                                          + ["--indexer", indexer.address, "--save", root + "/python-dataset.ans",
                                                             "--sets-out", root + "/python-sets.bin"])
        let p = Self.lastJSON(parking.output)
        #expect(parking.status == 0 && p["ok"] as? Bool == true, "parking_sessions.py: \(parking.output)")
        #expect(p["matched"] as? [String] == ["meter-1"], "zone=\"B\" and minutes>=30 match one session: \(parking.output)")
        #expect(p["forged_answer"] as? String == "refused" && p["read"] as? String == "verified" && p["transaction"] as? String == "verified",
                "\(parking.output)")
        let genesisAlone = p["genesis_set_alone"] as? String ?? ""
        #expect(genesisAlone.hasPrefix("refused") && p["set_changes_followed"] as? Int == 1,
                "the answers verify only through the followed change (at \(at.height)): \(parking.output)")

        // The Python-saved dataset answer verifies with the Swift CLI, offline, with the validator
        // sets the Python client followed (its cache file is the CLI's --trust-cache format).
        let swiftVerify = try await runCLI(["verify", root + "/python-dataset.ans", "--genesis", genesisPath, "--trust-cache", root + "/python-sets.bin"])
        #expect(swiftVerify.status == 0 && swiftVerify.output.contains("verified: 1 changes of parking-sessions"), "\(swiftVerify.output)")

        // Property registrations (internal): denied before the grant, read after it, audited.
        let property = try PythonClientProcessTests.python([examples + "/property_registrations.py"] + common)
        let r = Self.lastJSON(property.output)
        #expect(property.status == 0 && r["ok"] as? Bool == true, "property_registrations.py: \(property.output)")
        #expect(r["before_grant"] as? String == "denied" && (r["denied_tax-office"] as? String)?.contains("has no grant") == true, "\(property.output)")
        #expect(r["owner_now"] as? String == "Rui Costa" && r["history_versions"] as? Int == 2 && r["outsider"] as? String == "denied",
                "\(property.output)")
        #expect(r["access_may_read"] as? Bool == true && r["access_grants_held"] as? [String] == ["property-registrations"], "indexer.access: \(property.output)")

        // Medical records (restricted): sealed, denied to an outsider, key shared to a grantee.
        let medical = try PythonClientProcessTests.python([examples + "/medical_records.py"] + common)
        let m = Self.lastJSON(medical.output)
        #expect(medical.status == 0 && m["ok"] as? Bool == true, "medical_records.py: \(medical.output)")
        #expect(m["outsider"] as? String == "denied" && m["grantee_before_share"] as? String == "sealed, not opened"
                && m["grantee_opened"] as? [String] == ["penicillin", "latex"], "\(medical.output)")

        // A feed through the gateway, dropped and resumed on the indexer, then from its cursor file.
        let watched = try PythonClientProcessTests.python([examples + "/watch_feed.py"] + common
                                                          + ["--indexer", indexer.address, "--cursor-file", root + "/watch.cursor"])
        let w = Self.lastJSON(watched.output)
        #expect(watched.status == 0 && w["ok"] as? Bool == true, "watch_feed.py: \(watched.output)")
        #expect(w["exactly_once"] as? Bool == true && w["written"] as? Int == 6 && w["received"] as? Int == 6, "\(watched.output)")
        #expect(((w["first_watch"] as? [String: Any])?["connections"] as? Int ?? 0) >= 2, "the first watch reconnected: \(watched.output)")
        let followed = w["sets_followed_on_the_feed"] as? [String: Any] ?? [:]
        #expect(followed["changes"] as? Int == 1 && (followed["known_through"] as? Int ?? 0) > Int(at.height),
                "the watch followed the set change over its feed connection: \(watched.output)")

        // A dataset answer the Swift CLI saved (with a predicate) verifies offline with the Python
        // client and the validator-set cache the Swift CLI wrote (CCSETS01); damaged, it does not.
        let tls = ["--cert", root + "/land-bureau.pem", "--key", root + "/land-bureau.key", "--ca", root + "/ca.pem"]
        let saved = try await runCLI(["query", "dataset", "--gateway", gateway.address, "--dataset", "parking-sessions", "--where", "zone=\"B\"",
                                      "--genesis", genesisPath, "--trust-cache", root + "/swift-sets.bin", "--save", root + "/dataset.ans"] + tls)
        #expect(saved.status == 0 && saved.output.contains("proofs: verified"), "\(saved.output)")
        let verified = try PythonClientProcessTests.python([examples + "/verify_answer.py", root + "/dataset.ans", "--genesis", genesisPath,
                                                            "--sets", root + "/swift-sets.bin"])
        #expect(verified.status == 0 && verified.output.contains("verified: ") && verified.output.contains("changes of parking-sessions"),
                "\(verified.output)")
        let genesisOnly = try PythonClientProcessTests.python([examples + "/verify_answer.py", root + "/dataset.ans", "--genesis", genesisPath])
        #expect(genesisOnly.status != 0 && genesisOnly.output.contains("NOT verified"), "the genesis set alone: \(genesisOnly.output)")
        // Saved transaction, block and audit answers (the CLI's --save) verify in Python too.
        let txID = p["transaction_id"] as? String ?? ""
        let blockHeight = "\((p["block"] as? [String: Any])?["height"] as? Int ?? 1)"
        let ownerTLS = ["--cert", root + "/land-bureau.pem", "--key", root + "/land-bureau.key", "--ca", root + "/ca.pem"]
        let queries: [(String, [String], String)] = [
            ("tx", ["--id", txID], "transaction \(txID) is at"),
            ("block", ["--height", blockHeight], "block \(blockHeight) is certified"),
            ("audit", ["--dataset", "property-registrations", "--subject", r["parcel"] as? String ?? ""], "disclosure records of property-registrations"),
        ]
        for (kind, arguments, expected) in queries {
            let file = "\(root)/\(kind).ans"
            let asked = try await runCLI(["query", kind, "--gateway", gateway.address] + arguments
                                         + ["--genesis", genesisPath, "--trust-cache", root + "/swift-sets.bin", "--save", file] + ownerTLS)
            #expect(asked.status == 0 && asked.output.contains("proofs: verified"), "query \(kind): \(asked.output)")
            let checked = try PythonClientProcessTests.python([examples + "/verify_answer.py", file, "--genesis", genesisPath,
                                                               "--sets", root + "/swift-sets.bin"])
            #expect(checked.status == 0 && checked.output.contains(expected), "the saved \(kind) answer in Python: \(checked.output)")
        }
        var damaged = try Data(contentsOf: URL(fileURLWithPath: root + "/dataset.ans"))
        damaged[damaged.count - 40] ^= 0x01
        try damaged.write(to: URL(fileURLWithPath: root + "/damaged.ans"))
        let refused = try PythonClientProcessTests.python([examples + "/verify_answer.py", root + "/damaged.ans", "--genesis", genesisPath,
                                                           "--sets", root + "/swift-sets.bin"])
        #expect(refused.status != 0 && refused.output.contains("NOT verified"), "\(refused.output)")
    }
}
