import CityEncoding
import CityMerkle
import Foundation
import Testing
@testable import CityLedger

/// Accepted paths, determinism, proofs, read rules, validator scheduling and replay pruning.
@Suite struct StateTests {
    typealias F = Fixture

    static var script: [SignedTransaction] {
        [
            F.tx("land-bureau", F.put("land.parcels", "p1", Array("{\"owner\":\"ana\"}".utf8))),
            F.tx("tax-office", F.put("land.parcels", "p2", [2]), nonce: 2),
            F.tx("land-bureau", .grantAccess(dataset: F.ds("land.parcels"), grantee: F.id("hospital"), expiresAtHeight: 3,
                                             purpose: "emergency access")),
            F.tx("land-bureau", .defineDataset(id: F.ds("land.notes"), sensitivity: .internal, schema: "note/v1",
                                               writers: [F.id("hospital")]), nonce: 3),
            F.tx("hospital", F.put("land.notes", "n1", [3])),
        ]
    }

    @Test func acceptedPathsChangeTheRootDeterministically() {
        var a = F.state(), b = F.state()
        let genesisRoot = a.stateRoot
        let outA = a.applyBlock(Self.script, height: 1)
        let outB = b.applyBlock(Self.script, height: 1)
        #expect(outA.allSatisfy { (try? $0.result.get()) != nil })
        #expect(outA.map(\.transactionID) == outB.map(\.transactionID))
        #expect(a.stateRoot != genesisRoot)
        #expect(a.stateRoot == b.stateRoot)
        // One transaction at a time gives the same root as one batch.
        var c = F.state()
        var heightSet = c
        _ = heightSet.applyBlock([], height: 1)
        c = heightSet
        for tx in Self.script { #expect(c.apply(tx, atHeight: 1).successValue != nil) }
        #expect(c.stateRoot == a.stateRoot)
        #expect(a.record(dataset: F.ds("land.parcels"), subject: F.subject("p1"))?.version == 1)
    }

    @Test func entriesReadBeforeABlockAreReadAgainAfterIt() {
        // Datasets and agencies are remembered per tree version (DecodedEntries.stored): a state
        // after a block must see the block's writes, a copy from before it must not.
        var s = F.state()
        _ = s.applyBlock([], height: 1)
        let before = s
        #expect(s.dataset(F.ds("land.notes")) == nil)
        #expect(s.dataset(F.ds("land.parcels"))?.writers.contains(F.id("hospital")) == false)
        let out = s.applyBlock([
            F.tx("land-bureau", .defineDataset(id: F.ds("land.notes"), sensitivity: .internal, schema: "note/v1",
                                               writers: [F.id("hospital")]), nonce: 3),
        ], height: 2)
        #expect(out.allSatisfy { (try? $0.result.get()) != nil })
        #expect(s.dataset(F.ds("land.notes"))?.writers == [F.id("hospital")], "the new dataset is seen")
        #expect(before.dataset(F.ds("land.notes")) == nil, "the copy from before the block does not see it")
        #expect(s.dataset(F.ds("land.notes")) != nil, "and the state after it still does")
        #expect(s.validate(F.tx("hospital", F.put("land.notes", "n1", [3])), atHeight: 3) == nil)
        #expect(before.validate(F.tx("hospital", F.put("land.notes", "n1", [3])), atHeight: 2) != nil)
    }

    @Test func putDeleteVersions() {
        var s = F.state()
        _ = s.applyBlock([F.tx("land-bureau", F.put("land.parcels", "p1", [1])),
                          F.tx("land-bureau", F.put("land.parcels", "p1", [2]), nonce: 2),
                          F.tx("land-bureau", .deleteRecord(dataset: F.ds("land.parcels"), subject: F.subject("p1"), reason: "sold"),
                               nonce: 3)], height: 1)
        let r = s.record(dataset: F.ds("land.parcels"), subject: F.subject("p1"))
        #expect(r?.version == 3 && r?.deleted == true && r?.payloadHash == .zero)
        let again = F.tx("land-bureau", .deleteRecord(dataset: F.ds("land.parcels"), subject: F.subject("p1"), reason: "x"), nonce: 4)
        #expect(s.validate(again, atHeight: 2) == .recordNotFound(F.ds("land.parcels"), F.subject("p1")))
    }

    @Test func readRulesHonourSensitivityOwnershipAndGrantExpiry() {
        var s = F.state()
        _ = s.applyBlock(Array(Self.script.prefix(3)), height: 1)
        let parcels = F.ds("land.parcels")
        #expect(s.canRead(agency: F.id("land-bureau"), dataset: parcels, atHeight: 2, atTimeMillis: 0) == .allowed(.owner))
        #expect(s.canRead(agency: F.id("tax-office"), dataset: parcels, atHeight: 2, atTimeMillis: 0) == .allowed(.writer))
        #expect(s.canRead(agency: F.id("hospital"), dataset: parcels, atHeight: 3, atTimeMillis: 0) == .allowed(.grant(expiresAtHeight: 3, expiresAtMillis: 0)))
        #expect(s.canRead(agency: F.id("hospital"), dataset: parcels, atHeight: 4, atTimeMillis: 0) == .denied(.grantExpired(expiredAtHeight: 3)))
        #expect(s.canRead(agency: F.id("admin-a"), dataset: parcels, atHeight: 2, atTimeMillis: 0) == .denied(.noGrant))
        #expect(s.canRead(agency: F.id("admin-a"), dataset: F.ds("parking.sessions"), atHeight: 2, atTimeMillis: 0) == .allowed(.publicDataset))
        #expect(s.canRead(agency: F.id("admin-a"), dataset: F.ds("nope"), atHeight: 2, atTimeMillis: 0) == .denied(.unknownDataset))
        #expect(s.canRead(agency: F.id("tax-office"), dataset: F.ds("health.visits"), atHeight: 2, atTimeMillis: 0) == .denied(.noGrant))
        // Revoking removes the grant.
        _ = s.applyBlock([F.tx("land-bureau", .revokeAccess(dataset: parcels, grantee: F.id("hospital")), nonce: 9)], height: 2)
        #expect(s.canRead(agency: F.id("hospital"), dataset: parcels, atHeight: 2, atTimeMillis: 0) == .denied(.noGrant))
    }

    @Test func recordProofsOfPresenceAndAbsence() throws {
        var s = F.state()
        _ = s.applyBlock(Self.script, height: 1)
        let root = s.stateRoot
        let (entry, proof) = s.proveRecord(dataset: F.ds("land.parcels"), subject: F.subject("p1"))
        let e = try #require(entry)
        #expect(LedgerState.verifyRecord(dataset: F.ds("land.parcels"), subject: F.subject("p1"), entry: e, proof: proof, stateRoot: root))
        var tampered = e
        tampered.version = 2
        #expect(!LedgerState.verifyRecord(dataset: F.ds("land.parcels"), subject: F.subject("p1"), entry: tampered, proof: proof,
                                          stateRoot: root))
        #expect(!LedgerState.verifyRecord(dataset: F.ds("land.parcels"), subject: F.subject("p1"), entry: e, proof: proof,
                                          stateRoot: Hash32.sha256([0])))
        #expect(!LedgerState.verifyRecord(dataset: F.ds("land.parcels"), subject: F.subject("p2"), entry: e, proof: proof, stateRoot: root))
        #expect(!LedgerState.verifyRecord(dataset: F.ds("land.parcels"), subject: F.subject("p1"), entry: nil, proof: proof, stateRoot: root))
        // Absence.
        let (missing, absence) = s.proveRecord(dataset: F.ds("land.parcels"), subject: F.subject("p404"))
        #expect(missing == nil)
        #expect(LedgerState.verifyRecord(dataset: F.ds("land.parcels"), subject: F.subject("p404"), entry: nil, proof: absence, stateRoot: root))
        #expect(!LedgerState.verifyRecord(dataset: F.ds("land.parcels"), subject: F.subject("p404"), entry: e, proof: absence, stateRoot: root))
        // The proof survives its canonical encoding.
        let decoded = try StateProof(canonicalBytes: proof.canonicalBytes)
        #expect(LedgerState.verifyRecord(dataset: F.ds("land.parcels"), subject: F.subject("p1"), entry: e, proof: decoded, stateRoot: root))
        let (grant, gp) = s.proveGrant(dataset: F.ds("land.parcels"), grantee: F.id("hospital"))
        #expect(LedgerState.verify(.grant(F.ds("land.parcels"), F.id("hospital")), entry: grant, proof: gp, stateRoot: root))
    }

    @Test func validatorChangeTakesEffectTwoHeightsLater() {
        var s = F.state()
        let newKey = F.signingKey(0x20).ledgerPublicKey
        let change = F.tx("admin-a", .changeValidatorSet(changes: [ValidatorChange(publicKey: newKey, power: 5, name: "v-new")]),
                          cosigners: ["admin-c"])
        let out = s.applyBlock([change], height: 1)
        #expect(out[0].result.successValue
                == .validatorChangeScheduled(PendingValidatorChange(effectiveHeight: 3, changes: [ValidatorChange(publicKey: newKey, power: 5, name: "v-new")])))
        #expect(s.validatorSet(forHeight: 2)?.validator(newKey) == nil)
        #expect(s.validatorSet(forHeight: 3)?.validator(newKey)?.power == 5)
        #expect(s.validatorSet(forHeight: 4) == nil)
        _ = s.applyBlock([], height: 2)
        #expect(s.currentValidatorSet.validator(newKey) == nil)
        _ = s.applyBlock([], height: 3)
        #expect(s.currentValidatorSet.validator(newKey)?.power == 5)
        #expect(s.currentValidatorSet.totalPower == 45)
        #expect(s.pendingValidatorChanges.isEmpty)
    }

    @Test func replaySetIsPrunedOnceTransactionsExpire() {
        var s = F.state()
        let tx = F.tx("land-bureau", F.put("land.parcels", "p1", [1]), expires: 2)
        _ = s.applyBlock([tx], height: 1)
        #expect(s.raw(.replay(tx.id)) != nil)
        _ = s.applyBlock([], height: 2)
        #expect(s.raw(.replay(tx.id)) != nil)
        _ = s.applyBlock([], height: 3)
        #expect(s.raw(.replay(tx.id)) == nil)
        #expect(s.validate(tx, atHeight: 3) == .expired(expiresAtHeight: 2, height: 3))
    }

    @Test func sameTransactionTwiceInOneBlockCommitsOnce() {
        var s = F.state()
        let tx = F.tx("land-bureau", F.put("land.parcels", "p1", [1]))
        let out = s.applyBlock([tx, tx], height: 1)
        #expect(out[0].result.successValue != nil)
        #expect(out[1].result.failureValue == .replayed(tx.id))
    }

    @Test func registeredAdminJoinsTheQuorum() {
        var s = F.state()
        let op = LedgerOperation.registerAgency(id: F.id("admin-d"), name: "D", isAdmin: true,
                                                keys: [AgencyKey(keyID: 1, material: .signing(F.signingKey(0x33).ledgerPublicKey))])
        _ = s.applyBlock([F.tx("admin-a", op, cosigners: ["admin-b"])], height: 1)
        #expect(s.adminSet.admins.contains(F.id("admin-d")))
        let add = LedgerOperation.addAgencyKey(agency: F.id("hospital"), key: AgencyKey(keyID: 3, material: .signing(F.signingKey(0x34).ledgerPublicKey)))
        let body = F.body("admin-a", add)
        let tx = try! SignedTransaction.sign(body, key: F.key("admin-a"), cosigners: [(F.signer("admin-d"), F.signingKey(0x33))])
        #expect(s.apply(tx, atHeight: 2).successValue
                == .keyAdded(F.id("hospital"), AgencyKey(keyID: 3, material: .signing(F.signingKey(0x34).ledgerPublicKey))))
    }

    @Test func genesisJSONRoundTripAndValidation() throws {
        let g = F.genesis
        let json = try g.toJSON()
        let back = try Genesis.fromJSON(json)
        #expect(back == g)
        #expect(back.hash == g.hash)
        #expect(try Genesis(canonicalBytes: g.canonicalBytes) == g)
        #expect(String(decoding: json, as: UTF8.self).contains("\"kind\" : \"sealing\""))
        var bad = g
        bad.adminThreshold = 4
        #expect(throws: LedgerError.self) { try bad.validate() }
        bad = g
        bad.agencies.append(bad.agencies[0])
        #expect(throws: LedgerError.self) { try bad.validate() }
        bad = g
        bad.datasets[0].owner = F.id("ghost")
        #expect(throws: LedgerError.self) { try bad.validate() }
        bad = g
        bad.validators = []
        #expect(throws: LedgerError.self) { try LedgerState(genesis: bad) }
    }
}