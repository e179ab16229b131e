import ArgumentParser
import CityEncoding
import CityLedger
import Foundation
import Testing
@preconcurrency import Crypto
@testable import CityCLI

/// `citychain submit --seal-to` seals a restricted record to the named agencies' sealing keys from
/// the genesis (and the signer's), and `citychain query --open-with` opens it for a recipient only.
struct SealedWriteTests {
    static func signing(_ b: UInt8) -> Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: b, count: 32)) }
    static func sealing(_ b: UInt8) -> Curve25519.KeyAgreement.PrivateKey { try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: [UInt8](repeating: b, count: 32)) }
    static func agency(_ id: String, _ b: UInt8) -> GenesisAgency {
        GenesisAgency(id: try! AgencyID(id), name: id, isAdmin: b == 1,
                      keys: [AgencyKey(keyID: 1, material: .signing(signing(b).ledgerPublicKey)),
                             AgencyKey(keyID: 2, material: .sealing(SealingPublicKey(sealing(b).publicKey)))])
    }

    /// A genesis file with a hospital, an ambulance service and a tax office, each with a sealing key.
    static func genesisFile() throws -> String {
        let g = Genesis(chainID: "seal-test", genesisTimeMillis: 1_700_000_000_000,
                        validators: [Validator(publicKey: signing(0x10).ledgerPublicKey, power: 10, name: "v0")], adminThreshold: 1,
                        agencies: [agency("general-hospital", 1), agency("ambulance-service", 2), agency("tax-office", 3)],
                        datasets: [GenesisDataset(id: try DatasetID("medical-records"), owner: try AgencyID("general-hospital"), sensitivity: .restricted,
                                                  schema: "medical/v1", writers: [])])
        let path = NSTemporaryDirectory() + "seal-test-\(UUID().uuidString).json"
        try g.toJSON().write(to: URL(fileURLWithPath: path))
        return path
    }

    func submit(_ genesis: String, sealTo: String, as agency: String = "general-hospital") throws -> SubmitCommand {
        try SubmitCommand.parse(["--gateway", "127.0.0.1:1", "--cert", "c", "--key", "k", "--ca", "a", "--agency", agency,
                                 "--signing-key", "s", "--dataset", "medical-records", "--subject", "patient-0017",
                                 "--json", #"{"allergies":["penicillin"]}"#, "--genesis", genesis, "--seal-to", sealTo])
    }

    @Test func sealedToTheNamedAgenciesAndTheWriterOnly() throws {
        let genesis = try Self.genesisFile()
        defer { try? FileManager.default.removeItem(atPath: genesis) }
        let write = try submit(genesis, sealTo: "ambulance-service").makeOperation()
        guard case let .putRecord(_, _, hash) = write.operation, let payload = write.payload else {
            Issue.record("not a record write"); return
        }
        #expect(hash == Hash32.sha256(payload), "the hash covers the sealed bytes the chain carries")
        let sealed = try SealedPayload(canonicalBytes: payload)
        #expect(Set(sealed.recipients.map { "\($0.agency)" }) == ["ambulance-service", "general-hospital"])
        #expect(!String(decoding: payload, as: UTF8.self).contains("penicillin"), "the chain carries ciphertext only")
        let ambulance = SealedOpener(agency: try AgencyID("ambulance-service"), key: Self.sealing(2))
        guard case .success(let text) = ambulance.open(sealed) else { Issue.record("the grantee could not open it"); return }
        #expect(text == #"{"allergies":["penicillin"]}"#)
        let tax = SealedOpener(agency: try AgencyID("tax-office"), key: Self.sealing(3))
        guard case .failure(let why) = tax.open(sealed) else { Issue.record("an agency it was not sealed to opened it"); return }
        #expect(why.description.contains("not sealed to tax-office"))
        let thief = SealedOpener(agency: try AgencyID("ambulance-service"), key: Self.sealing(3))
        guard case .failure = thief.open(sealed) else { Issue.record("the wrong private key opened it"); return }
        #expect(QueryCommand.describe(payload, opener: ambulance).contains("penicillin"))
        #expect(!QueryCommand.describe(payload).contains("penicillin"))
    }

    /// The ledger refuses a restricted record its owner cannot open (so the owner can share it with a
    /// later grantee): a writer's record is sealed to the owner too, unasked.
    @Test func aWritersRecordIsSealedToTheDatasetOwnerToo() throws {
        let genesis = try Self.genesisFile()
        defer { try? FileManager.default.removeItem(atPath: genesis) }
        guard let payload = try submit(genesis, sealTo: "ambulance-service", as: "tax-office").makeOperation().payload else {
            Issue.record("not a record write"); return
        }
        let sealed = try SealedPayload(canonicalBytes: payload)
        #expect(Set(sealed.recipients.map { "\($0.agency)" }) == ["ambulance-service", "tax-office", "general-hospital"])
    }

    @Test func sealingErrorsNameTheProblem() throws {
        let genesis = try Self.genesisFile()
        defer { try? FileManager.default.removeItem(atPath: genesis) }
        #expect(throws: (any Error).self) { try submit(genesis, sealTo: "fire-brigade").makeOperation() }
        do { _ = try submit(genesis, sealTo: "fire-brigade").makeOperation() } catch {
            #expect("\(error)".contains("'fire-brigade' is not in the genesis"))
        }
        var noGenesis = try submit(genesis, sealTo: "ambulance-service")
        noGenesis.target.trust.genesis = nil
        do { _ = try noGenesis.makeOperation(); Issue.record("sealed without a genesis") } catch {
            #expect("\(error)".contains("--seal-to needs --genesis"))
        }
    }
}
