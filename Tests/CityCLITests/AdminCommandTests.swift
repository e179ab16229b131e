import ArgumentParser
import CityEncoding
import CityLedger
import CityNode
import Foundation
import Testing
@testable import CityCLI

/// `citychain admin`: admin operations from JSON, and a proposal passed from admin to admin until it
/// carries the quorum the ledger asks for.
struct AdminCommandTests {
    func op(_ json: String) throws -> LedgerOperation { try OperationFile.operation(fromJSON: Data(json.utf8)).operation }
    func error(_ json: String) -> String {
        do { _ = try op(json); return "" } catch { return "\(error)" }
    }

    static let keyA = String(repeating: "11", count: 32), keyB = String(repeating: "22", count: 32)

    @Test func adminOperationsFromJSON() throws {
        #expect(try op(#"{"op": "changeValidatorSet", "changes": [{"publicKey": "\#(Self.keyB)", "power": 10, "name": "validator-5"}, {"publicKey": "\#(Self.keyA)", "power": 0, "name": "validator-1"}]}"#)
                == .changeValidatorSet(changes: [ValidatorChange(publicKey: try PublicKey(hex: Self.keyA), power: 0, name: "validator-1"),
                                                 ValidatorChange(publicKey: try PublicKey(hex: Self.keyB), power: 10, name: "validator-5")]),
                "sorted by key, as the canonical form requires")
        #expect(try op(#"{"op": "registerAgency", "agency": "parks-department", "name": "Parks Department", "keys": [{"keyID": 2, "kind": "sealing", "publicKey": "\#(Self.keyB)"}, {"keyID": 1, "kind": "signing", "publicKey": "\#(Self.keyA)"}]}"#)
                == .registerAgency(id: try AgencyID("parks-department"), name: "Parks Department", isAdmin: false,
                                   keys: [AgencyKey(keyID: 1, material: .signing(try PublicKey(hex: Self.keyA))),
                                          AgencyKey(keyID: 2, material: .sealing(try SealingPublicKey(hex: Self.keyB)))]))
        #expect(try op(#"{"op": "addAgencyKey", "agency": "tax-office", "key": {"keyID": 2, "kind": "signing", "publicKey": "\#(Self.keyA)"}}"#)
                == .addAgencyKey(agency: try AgencyID("tax-office"), key: AgencyKey(keyID: 2, material: .signing(try PublicKey(hex: Self.keyA)))))
        #expect(try op(#"{"op": "revokeAgencyKey", "agency": "tax-office", "keyID": 1}"#) == .revokeAgencyKey(agency: try AgencyID("tax-office"), keyID: 1))
        #expect(try op(#"{"op": "revokeCertificate", "fingerprint": "\#(String(repeating: "AB", count: 32))", "reason": "laptop stolen"}"#)
                == .revokeCertificate(fingerprint: Hash32(hex: String(repeating: "ab", count: 32))!, reason: "laptop stolen"))
        #expect(try op(#"{"op": "defineDataset", "dataset": "parks.trees", "sensitivity": "public", "schema": "tree/v1", "writers": ["parks-department"]}"#)
                == .defineDataset(id: try DatasetID("parks.trees"), sensitivity: .public, schema: "tree/v1", writers: [try AgencyID("parks-department")]))
    }

    @Test func badAdminOperationsNameWhatIsWrong() {
        #expect(error(#"{"op": "changeValidatorSet", "changes": []}"#).contains("at least one entry"))
        #expect(error(#"{"op": "changeValidatorSet", "changes": [{"publicKey": "abc", "power": 1, "name": "v"}]}"#).contains("publicKey 'abc'"))
        #expect(error(#"{"op": "changeValidatorSet", "changes": [{"publicKey": "\#(Self.keyA)", "name": "v"}]}"#).contains("missing \"power\""))
        #expect(error(#"{"op": "changeValidatorSet", "changes": [{"publicKey": "\#(Self.keyA)", "power": 1, "name": "v"}, {"publicKey": "\#(Self.keyA)", "power": 0, "name": "w"}]}"#)
                .contains("twice"))
        #expect(error(#"{"op": "registerAgency", "agency": "x-y", "name": "X", "keys": [{"keyID": 1, "kind": "magic", "publicKey": "\#(Self.keyA)"}]}"#).contains("magic"))
        #expect(error(#"{"op": "registerAgency", "agency": "x-y", "name": "X", "keys": []}"#).contains("at least one key"))
        #expect(error(#"{"op": "revokeAgencyKey", "agency": "x-y", "keyID": -1}"#).contains("positive whole number"))
        #expect(error(#"{"op": "defineDataset", "dataset": "d.x", "sensitivity": "secret", "schema": "s"}"#).contains("public, internal or restricted"))
        #expect(error(#"{"op": "revokeCertificate", "fingerprint": "abc", "reason": "x"}"#).contains("is not 64 hex digits; use the fingerprint 'citychain pki show"))
        #expect(error(#"{"op": "mint"}"#).contains("changeValidatorSet"), "the error lists the operations")
    }

    /// admin-a proposes (offline), admin-b co-signs: with one signature the ledger refuses the quorum,
    /// with two it accepts; a third signature by the same agency, a tampered file and a plain
    /// operation are refused with what to do.
    @Test func aProposalCollectsTheQuorum() async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var keys: [String: KeyFile] = [:]
        for name in ["admin-a", "admin-b", "validator-5"] {
            try await runCLI(["keys", "new", "--kind", "signing", "--out", "\(dir)/\(name).json"])
            keys[name] = try KeyFile.load("\(dir)/\(name).json", expecting: .signing)
        }
        func agency(_ name: String) throws -> GenesisAgency {
            GenesisAgency(id: try AgencyID(name), name: name, isAdmin: true,
                          keys: [AgencyKey(keyID: 1, material: .signing(try PublicKey(bytes: keys[name]!.publicKeyBytes)))])
        }
        let validatorKey = String(repeating: "33", count: 32)
        let genesis = Genesis(chainID: "admin-test", genesisTimeMillis: 1_700_000_000_000,
                              validators: [Validator(publicKey: try PublicKey(hex: validatorKey), power: 10, name: "validator-1")],
                              adminThreshold: 2, agencies: [try agency("admin-a"), try agency("admin-b")], datasets: [])
        try genesis.toJSON().write(to: URL(fileURLWithPath: "\(dir)/genesis.json"))
        let change = #"{"op": "changeValidatorSet", "changes": [{"publicKey": "\#(keys["validator-5"]!.publicKey)", "power": 10, "name": "validator-5"}]}"#
        try Data(change.utf8).write(to: URL(fileURLWithPath: "\(dir)/change.json"))
        let proposal = "\(dir)/proposal.json"

        try await runCLI(["admin", "propose", "--tx-file", "\(dir)/change.json", "--agency", "admin-a", "--signing-key", "\(dir)/admin-a.json",
                          "--chain-id", "admin-test", "--expires-at-height", "50", "--out", proposal])
        let proposed = try AdminProposal.read(proposal)
        let state = try LedgerState(genesis: genesis)
        #expect(state.validate(proposed, atHeight: 1) == .adminQuorumNotMet(have: 1, need: 2), "one admin is not the quorum")
        #expect(try AdminProposal.check(proposed, genesis: genesis).map(\.verdict) == [.good])

        try await runCLI(["admin", "sign", proposal, "--agency", "admin-b", "--signing-key", "\(dir)/admin-b.json", "--genesis", "\(dir)/genesis.json"])
        let signed = try AdminProposal.read(proposal)
        #expect(signed.id == proposed.id && signed.signatures.map(\.signer.agency.value) == ["admin-a", "admin-b"])
        #expect(state.validate(signed, atHeight: 1) == nil, "two of two admins: the ledger accepts it")
        try await runCLI(["admin", "show", proposal, "--genesis", "\(dir)/genesis.json"])
        let file = try JSONDecoder().decode(AdminProposal.self, from: Data(contentsOf: URL(fileURLWithPath: proposal)))
        #expect(file.signers == ["admin-a/1", "admin-b/1"] && file.operation == "changeValidatorSet" && file.id == "\(signed.id)")

        await expectError("already signed") {
            try await runCLI(["admin", "sign", proposal, "--agency", "admin-b", "--signing-key", "\(dir)/admin-b.json"])
        }
        // A signature that does not verify: the next admin is told not to sign.
        var forged = signed
        forged.signatures[1].signature = forged.signatures[0].signature
        try AdminProposal(transaction: forged).write(to: "\(dir)/forged.json")
        await expectError("does not verify") {
            try await runCLI(["admin", "sign", "\(dir)/forged.json", "--agency", "admin-c", "--signing-key", "\(dir)/validator-5.json",
                              "--genesis", "\(dir)/genesis.json"])
        }
        try Data(#"{"op": "revokeAccess", "dataset": "d.x", "grantee": "a-b"}"#.utf8).write(to: URL(fileURLWithPath: "\(dir)/plain.json"))
        await expectError("citychain submit --tx-file") {
            try await runCLI(["admin", "propose", "--tx-file", "\(dir)/plain.json", "--agency", "admin-a", "--signing-key", "\(dir)/admin-a.json",
                              "--chain-id", "admin-test", "--expires-at-height", "50", "--out", "\(dir)/plain-proposal.json"])
        }
        await expectError("already exists") {
            try await runCLI(["admin", "propose", "--tx-file", "\(dir)/change.json", "--agency", "admin-a", "--signing-key", "\(dir)/admin-a.json",
                              "--chain-id", "admin-test", "--expires-at-height", "50", "--out", proposal])
        }
        await expectError("--chain-id and --expires-at-height") {
            try await runCLI(["admin", "propose", "--tx-file", "\(dir)/change.json", "--agency", "admin-a", "--signing-key", "\(dir)/admin-a.json",
                              "--chain-id", "admin-test", "--out", "\(dir)/other.json"])
        }
    }

    func expectError(_ fragment: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected an error containing '\(fragment)'")
        } catch {
            #expect("\(error)".contains(fragment), "\(error)")
        }
    }
}
