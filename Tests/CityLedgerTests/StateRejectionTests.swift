import CityTestSupport
import CityEncoding
import Crypto
import Testing
@testable import CityLedger

/// One test per rejection reason: the bad case is refused with that reason and changes nothing.
@Suite struct StateRejectionTests {
    typealias F = Fixture

    func rejects(_ tx: SignedTransaction, at height: UInt64 = 1, on base: LedgerState = F.state(),
                 _ expected: Rejection, sourceLocation: SourceLocation = #_sourceLocation) {
        var s = base
        let before = s.stateRoot
        let result = s.apply(tx, atHeight: height)
        #expect(result.failureValue == expected, sourceLocation: sourceLocation)
        #expect(s.stateRoot == before, "a refused transaction changed the state", sourceLocation: sourceLocation)
    }

    func applied(_ txs: [SignedTransaction], at height: UInt64 = 1) -> LedgerState {
        var s = F.state()
        for tx in txs { _ = try! s.apply(tx, atHeight: height).get() }
        return s
    }

    @Test func wrongChain() {
        rejects(F.tx("land-bureau", F.put("land.parcels", "p1", [1]), chain: "other-chain"),
                .wrongChain(expected: F.chainID, got: "other-chain"))
    }

    @Test func expired() {
        rejects(F.tx("land-bureau", F.put("land.parcels", "p1", [1]), expires: 4), at: 5, .expired(expiresAtHeight: 4, height: 5))
    }

    @Test func lifetimeTooLong() {
        let far = 1 + LedgerLimits.maxTransactionLifetimeHeights + 1
        rejects(F.tx("land-bureau", F.put("land.parcels", "p1", [1]), expires: far),
                .lifetimeTooLong(expiresAtHeight: far, maxHeight: far - 1))
    }

    @Test func replayed() {
        let tx = F.tx("land-bureau", F.put("land.parcels", "p1", [1]))
        rejects(tx, on: applied([tx]), .replayed(tx.id))
    }

    @Test func replayedWithOtherSignaturesIsStillTheSameTransaction() {
        let op = LedgerOperation.revokeAgencyKey(agency: F.id("hospital"), keyID: 1)
        let first = F.tx("admin-a", op, cosigners: ["admin-b"])
        let second = F.tx("admin-a", op, cosigners: ["admin-c"])
        #expect(first.signatures != second.signatures)
        #expect(first.id == second.id)
        rejects(second, on: applied([first]), .replayed(first.id))
    }

    @Test func unknownAgencyAndKey() {
        var t = F.tx("land-bureau", F.put("land.parcels", "p1", [1]))
        t.body.signer = F.signer("nobody")
        t.signatures[0].signer = F.signer("nobody")
        rejects(t, .unknownAgency(F.id("nobody")))
        var k = F.tx("land-bureau", F.put("land.parcels", "p1", [1]))
        k.body.signer = F.signer("land-bureau", 9)
        k = try! SignedTransaction.sign(k.body, payload: [1], key: F.key("land-bureau"))
        rejects(k, .unknownKey(F.signer("land-bureau", 9)))
        // Key 2 is a sealing key: it signs nothing.
        k.body.signer = F.signer("land-bureau", 2)
        k = try! SignedTransaction.sign(k.body, payload: [1], key: F.key("land-bureau"))
        rejects(k, .unknownKey(F.signer("land-bureau", 2)))
    }

    @Test func revokedKeySignsNothingAfterRevocation() {
        let revoke = F.tx("admin-a", .revokeAgencyKey(agency: F.id("land-bureau"), keyID: 1), cosigners: ["admin-b"])
        var s = F.state()
        _ = s.applyBlock([revoke], height: 1)
        rejects(F.tx("land-bureau", F.put("land.parcels", "p1", [1])), at: 2, on: s,
                .revokedKey(F.signer("land-bureau"), revokedAtHeight: 1))
    }

    /// `revokeCertificate` (admin, M-of-N): the state lists the fingerprint with its height, sorted,
    /// in one provable entry; revoking it again, or without the quorum, is refused.
    @Test func certificateRevocationIsAnAdminOperationRecordedOnce() throws {
        let leaked = Hash32.sha256(Array("agency certificate DER".utf8)), other = Hash32.sha256([9])
        let revoke = F.tx("admin-a", .revokeCertificate(fingerprint: leaked, reason: "laptop stolen"), cosigners: ["admin-b"])
        rejects(F.tx("admin-a", .revokeCertificate(fingerprint: leaked, reason: "x")), .adminQuorumNotMet(have: 1, need: 2))
        rejects(F.tx("land-bureau", .revokeCertificate(fingerprint: leaked, reason: "x"), cosigners: ["admin-a", "admin-b"]),
                .notAdmin(F.id("land-bureau")))
        var s = F.state()
        #expect(s.revokedCertificates.entries.isEmpty)
        let outcomes = s.applyBlock([revoke], height: 1)
        #expect(outcomes.first?.result.successValue == .certificateRevoked(RevokedCertificate(fingerprint: leaked, revokedAtHeight: 1, reason: "laptop stolen")))
        #expect(s.revokedCertificates.entry(leaked)?.revokedAtHeight == 1)
        rejects(F.tx("admin-a", .revokeCertificate(fingerprint: leaked, reason: "again"), cosigners: ["admin-c"]), at: 2, on: s,
                .certificateAlreadyRevoked(leaked, atHeight: 1))
        _ = s.applyBlock([F.tx("admin-a", .revokeCertificate(fingerprint: other, reason: "rotated"), cosigners: ["admin-c"])], height: 2)
        #expect(s.revokedCertificates.entries.map(\.fingerprint) == [leaked, other].sorted())
        // The one entry is proven under the state root (a follower starting near the head reads it).
        let (_, proof) = s.prove(.revokedCertificates)
        #expect(LedgerState.verify(.revokedCertificates, entry: s.revokedCertificates, proof: proof, stateRoot: s.stateRoot))
        let (_, none) = F.state().prove(.revokedCertificates)
        #expect(LedgerState.verify(.revokedCertificates, entry: RevokedCertificates?.none, proof: none, stateRoot: F.state().stateRoot))
    }

    @Test func badSignature() {
        var t = F.tx("land-bureau", F.put("land.parcels", "p1", [1]))
        t.signatures[0].signature = try! F.key("hospital").ledgerSignature(for: t.body.signingMessage)
        rejects(t, .badSignature(F.signer("land-bureau")))
        // A signature made for another chain does not verify on this one.
        let other = F.body("land-bureau", F.put("land.parcels", "p1", [1]), chain: "other-chain")
        var t2 = F.tx("land-bureau", F.put("land.parcels", "p1", [1]))
        t2.signatures[0].signature = try! F.key("land-bureau").ledgerSignature(for: other.signingMessage)
        rejects(t2, .badSignature(F.signer("land-bureau")))
    }

    /// `signaturesVerified` skips only the Ed25519 check: a bad signature then passes, but an
    /// unknown or revoked key is still refused.
    @Test func skippingVerifiedSignaturesStillChecksKeys() {
        var t = F.tx("land-bureau", F.put("land.parcels", "p1", [1]))
        t.signatures[0].signature = try! F.key("hospital").ledgerSignature(for: t.body.signingMessage)
        let s = F.state()
        #expect(s.validate(t, atHeight: 1) == .badSignature(F.signer("land-bureau")))
        #expect(s.validate(t, atHeight: 1, signaturesVerified: true) == nil)
        let body = TransactionBody(chainID: F.chainID, signer: F.signer("land-bureau", 9), nonce: 1, expiresAtHeight: 100,
                                   operation: F.put("land.parcels", "p1", [1]).operation)
        let unknown = try! SignedTransaction.sign(body, payload: [1], key: F.key("land-bureau"))
        #expect(s.validate(unknown, atHeight: 1, signaturesVerified: true) == .unknownKey(Signer(agency: F.id("land-bureau"), keyID: 9)))
        var applied = F.state()
        let outcomes = applied.applyBlock([t], height: 1, signaturesVerified: { _ in true })
        #expect(outcomes.count == 1)
        if case .failure = outcomes[0].result { Issue.record("a pre-verified transaction was refused: \(outcomes[0])") }
        var strict = F.state()
        if case .success = strict.applyBlock([t], height: 1)[0].result { Issue.record("a bad signature was applied without the skip") }
    }

    @Test func adminQuorum() {
        let op = LedgerOperation.registerAgency(id: F.id("new-agency"), name: "New", isAdmin: false,
                                          keys: [AgencyKey(keyID: 1, material: .signing(F.signingKey(0x30).ledgerPublicKey))])
        rejects(F.tx("admin-a", op), .adminQuorumNotMet(have: 1, need: 2))
        var s = F.state()
        let registered = AgencyEntry(id: F.id("new-agency"), name: "New", isAdmin: false,
                                     keys: [AgencyKeyState(key: AgencyKey(keyID: 1, material: .signing(F.signingKey(0x30).ledgerPublicKey)), addedAtHeight: 1)])
        #expect(s.apply(F.tx("admin-a", op, cosigners: ["admin-b"]), atHeight: 1).successValue == .agencyRegistered(registered))
        #expect(s.agency(F.id("new-agency")) != nil)
        rejects(F.tx("land-bureau", op, cosigners: ["admin-a", "admin-b"]), .notAdmin(F.id("land-bureau")))
        rejects(F.tx("admin-a", op, cosigners: ["admin-b", "hospital"]), .notAdmin(F.id("hospital")))
    }

    @Test func cosignaturesOnlyForAdminOpsAndOncePerAgency() {
        rejects(F.tx("land-bureau", F.put("land.parcels", "p1", [1]), cosigners: ["admin-a"]),
                .signerMismatch("putRecord takes one signature; co-signatures are for admin operations only"))
        let op = LedgerOperation.revokeAgencyKey(agency: F.id("hospital"), keyID: 1)
        let twice = F.tx("admin-a", op, cosigners: ["admin-a"])
        #expect(twice.signatures.count == 2)
        rejects(twice, .signerMismatch("an agency signed twice; each agency signs once"))
    }

    @Test func datasetRules() {
        rejects(F.tx("land-bureau", .defineDataset(id: F.ds("land.parcels"), sensitivity: .public, schema: "x", writers: [])),
                .datasetExists(F.ds("land.parcels")))
        rejects(F.tx("land-bureau", .defineDataset(id: F.ds("new"), sensitivity: .public, schema: "x", writers: [F.id("ghost")])),
                .unknownWriter(F.id("ghost")))
        rejects(F.tx("hospital", F.put("land.parcels", "p1", [1])), .notDatasetWriter(F.id("hospital"), F.ds("land.parcels")))
        rejects(F.tx("hospital", F.put("nope", "p1", [1])), .unknownDataset(F.ds("nope")))
        rejects(F.tx("tax-office", .grantAccess(dataset: F.ds("land.parcels"), grantee: F.id("hospital"), expiresAtHeight: 50,
                                                purpose: "x")),
                .notDatasetOwner(F.id("tax-office"), F.ds("land.parcels")))
    }

    @Test func payloadHashMismatch() {
        let op = LedgerOperation.putRecord(dataset: F.ds("land.parcels"), subject: F.subject("p1"), payloadHash: .zero)
        rejects(F.tx("land-bureau", RecordWrite(operation: op, payload: [1, 2])), .payloadHashMismatch(expected: Hash32.sha256([1, 2]), got: .zero))
    }

    @Test func restrictedPayloadMustBeSealedToRegisteredKeys() throws {
        let s = F.state()
        let plain = F.tx("hospital", F.put("health.visits", "patient-1", Array("{\"allergy\":\"none\"}".utf8)))
        guard case .payloadNotSealed = s.validate(plain, atHeight: 1) else { Issue.record("unsealed payload accepted"); return }
        let stranger = try SealedPayload.seal([1, 2, 3], to: [(F.id("hospital"), 7, F.sealKey("hospital").publicKey)])
        let t = F.tx("hospital", F.put("health.visits", "patient-1", stranger.canonicalBytes))
        rejects(t, .payloadNotSealed("recipient hospital#7 is not an active registered sealing key"))
        let good = try SealedPayload.seal([1, 2, 3], to: [(F.id("hospital"), 2, F.sealKey("hospital").publicKey)])
        #expect(s.validate(F.tx("hospital", F.put("health.visits", "patient-1", good.canonicalBytes)), atHeight: 1) == nil)
    }

    @Test func recordAndGrantNotFound() {
        rejects(F.tx("land-bureau", .deleteRecord(dataset: F.ds("land.parcels"), subject: F.subject("p9"), reason: "x")),
                .recordNotFound(F.ds("land.parcels"), F.subject("p9")))
        rejects(F.tx("land-bureau", .revokeAccess(dataset: F.ds("land.parcels"), grantee: F.id("hospital"))),
                .grantNotFound(F.ds("land.parcels"), F.id("hospital")))
        rejects(F.tx("land-bureau", .grantAccess(dataset: F.ds("land.parcels"), grantee: F.id("hospital"), expiresAtHeight: 1,
                                                 purpose: "x")),
                .grantExpiryInPast(expiresAtHeight: 1, height: 1))
        rejects(F.tx("land-bureau", .grantAccess(dataset: F.ds("land.parcels"), grantee: F.id("ghost"), expiresAtHeight: 9,
                                                 purpose: "x")),
                .unknownAgency(F.id("ghost")))
    }

    @Test func agencyAndKeyAdministration() {
        let reg = LedgerOperation.registerAgency(id: F.id("hospital"), name: "H", isAdmin: false, keys: [])
        rejects(F.tx("admin-a", reg, cosigners: ["admin-b"]), .agencyExists(F.id("hospital")))
        let dup = LedgerOperation.addAgencyKey(agency: F.id("hospital"), key: AgencyKey(keyID: 2, material: .signing(F.signingKey(0x31).ledgerPublicKey)))
        rejects(F.tx("admin-a", dup, cosigners: ["admin-b"]), .keyExists(F.id("hospital"), 2))
        let revoke = LedgerOperation.revokeAgencyKey(agency: F.id("hospital"), keyID: 1)
        var s = F.state()
        #expect(s.apply(F.tx("admin-a", revoke, cosigners: ["admin-b"]), atHeight: 1).successValue != nil)
        rejects(F.tx("admin-a", revoke, nonce: 2, cosigners: ["admin-c"]), on: s, .keyAlreadyRevoked(F.id("hospital"), 1))
        rejects(F.tx("admin-a", .revokeAgencyKey(agency: F.id("hospital"), keyID: 5), cosigners: ["admin-b"]),
                .unknownKey(F.signer("hospital", 5)))
    }

    @Test func invalidValidatorChanges() {
        let stranger = F.signingKey(0x50).ledgerPublicKey
        rejects(F.tx("admin-a", .changeValidatorSet(changes: [ValidatorChange(publicKey: stranger, power: 0, name: "x")]),
                     cosigners: ["admin-b"]),
                .invalidValidatorChange("\(stranger) is not a validator, so it cannot be removed"))
        let all = F.validatorKeys.map { ValidatorChange(publicKey: $0.ledgerPublicKey, power: 0, name: "x") }
            .sorted { $0.publicKey < $1.publicKey }
        var s = F.state()
        guard case .invalidValidatorChange = s.apply(F.tx("admin-a", .changeValidatorSet(changes: all), cosigners: ["admin-b"]),
                                                     atHeight: 1).failureValue else {
            Issue.record("emptying the validator set was accepted"); return
        }
    }

    @Test func auditBatchesMustBeContiguous() {
        var s = F.state()
        let root = Hash32.sha256([9])
        #expect(s.apply(F.tx("tax-office", .anchorAuditBatch(firstSequence: 0, lastSequence: 9, recordCount: 10, merkleRoot: root)),
                        atHeight: 1).successValue != nil)
        rejects(F.tx("tax-office", .anchorAuditBatch(firstSequence: 11, lastSequence: 12, recordCount: 2, merkleRoot: root)),
                on: s, .auditSequenceGap(expected: 10, got: 11))
        rejects(F.tx("tax-office", .anchorAuditBatch(firstSequence: 5, lastSequence: 4, recordCount: 1, merkleRoot: root)),
                .invalidAuditBatch("sequences 5...4 with 1 records; need first ≤ last and at least one record"))
        #expect(s.nextAuditSequence(agency: F.id("tax-office")) == 10)
    }

    @Test func oversizeTransactionIsMalformedOrTooLarge() {
        let big = [UInt8](repeating: 7, count: LedgerLimits.maxPayloadBytes + 1)
        guard case .malformed = F.state().validate(F.tx("land-bureau", F.put("land.parcels", "p", big)), atHeight: 1) else {
            Issue.record("over-limit payload accepted"); return
        }
    }

    @Test func everyCodeIsDistinctAndEveryMessageSaysWhatToDo() {
        let samples: [Rejection] = [
            .malformed("x"), .tooLarge(bytes: 1, max: 0), .wrongChain(expected: "a", got: "b"), .expired(expiresAtHeight: 1, height: 2),
            .replayed(TransactionID(.zero)), .unknownAgency(F.id("a")), .badSignature(F.signer("a")), .notAdmin(F.id("a")),
            .adminQuorumNotMet(have: 1, need: 2), .unknownDataset(F.ds("d")), .payloadNotSealed("x"),
        ]
        #expect(Set(samples.map(\.code)).count == samples.count)
        for r in samples { #expect(r.message.contains(";") || r.message.contains("fetch") || r.message.contains(":")) }
    }
}

extension Result {
    var failureValue: Failure? { if case .failure(let f) = self { f } else { nil } }
    var successValue: Success? { if case .success(let s) = self { s } else { nil } }
    var isSuccess: Bool { if case .success = self { true } else { false } }
}
