import CityEncoding
import Crypto
import Testing
@testable import CityLedger

/// Issue 18 item 4: restricted records are always sealed to the dataset owner; a grant given
/// after records were written reaches them through keys the owner re-wraps on chain
/// (`shareRecordKeys`); grants may end at a block time.
@Suite struct RecordKeyShareTests {
    typealias F = Fixture
    let visits = F.ds("health.visits")

    func sealed(_ text: String, to agencies: [String]) throws -> [UInt8] {
        try SealedPayload.seal(Array(text.utf8), to: agencies.map { (F.id($0), KeyID(2), F.sealKey($0).publicKey) }).canonicalBytes
    }

    func tax(_ keyID: KeyID = 2) -> (AgencyID, KeyID, Curve25519.KeyAgreement.PublicKey) { (F.id("tax-office"), keyID, F.sealKey("tax-office").publicKey) }

    /// health.visits (hospital's, restricted) with patient-1 at versions 1 and 2, sealed to the hospital only.
    func chain() throws -> (LedgerState, [SealedPayload]) {
        var s = F.state()
        let v1 = try sealed("{\"visit\":1}", to: ["hospital"]), v2 = try sealed("{\"visit\":2}", to: ["hospital"])
        let outcomes = s.applyBlock([F.tx("hospital", F.put("health.visits", "patient-1", v1), nonce: 1),
                                     F.tx("hospital", F.put("health.visits", "patient-1", v2), nonce: 2)], height: 1)
        #expect(outcomes.allSatisfy { $0.result.isSuccess })
        return (s, [try SealedPayload(canonicalBytes: v1), try SealedPayload(canonicalBytes: v2)])
    }

    func share(_ payload: SealedPayload, version: UInt64, to reader: (AgencyID, KeyID, Curve25519.KeyAgreement.PublicKey)) throws -> RecordKeyShare {
        RecordKeyShare(subject: F.subject("patient-1"), version: version,
                       key: try payload.rewrap(as: F.id("hospital"), keyID: 2, privateKey: F.sealKey("hospital"), to: reader))
    }

    @Test func aRestrictedRecordIsSealedToItsOwnerToo() throws {
        var s = F.state()
        let define = F.tx("hospital", .defineDataset(id: F.ds("health.labs"), sensitivity: .restricted, schema: "lab/v1",
                                                     writers: [F.id("tax-office")]))
        #expect(s.applyBlock([define], height: 1)[0].result.isSuccess)
        let withoutOwner = F.tx("tax-office", F.put("health.labs", "p1", try sealed("{}", to: ["tax-office"])))
        guard case .payloadNotSealed(let why)? = s.validate(withoutOwner, atHeight: 2) else {
            Issue.record("a record the owner cannot open was accepted"); return
        }
        #expect(why.contains("dataset owner hospital"))
        let withOwner = F.tx("tax-office", F.put("health.labs", "p1", try sealed("{}", to: ["tax-office", "hospital"])))
        #expect(s.validate(withOwner, atHeight: 2) == nil)
    }

    @Test func theOwnerSharesOlderRecordsWithALaterGrantee() throws {
        var (s, payloads) = try chain()
        let shares = [try share(payloads[0], version: 1, to: tax()), try share(payloads[1], version: 2, to: tax())]
        let op = LedgerOperation.shareRecordKeys(dataset: visits, grantee: F.id("tax-office"), shares: shares)
        // Before the grant, the tax office may not read the dataset: no keys for it.
        guard case .invalidKeyShare(let why)? = s.validate(F.tx("hospital", op, nonce: 3), atHeight: 2) else {
            Issue.record("keys shared with an agency without a grant"); return
        }
        #expect(why.contains("no live grant"))
        // The tax office is not a recipient of either version.
        #expect(throws: SealedPayload.Failure.self) { try payloads[0].open(as: F.id("tax-office"), keyID: 2, privateKey: F.sealKey("tax-office")) }
        let grant = F.tx("hospital", .grantAccess(dataset: visits, grantee: F.id("tax-office"), expiresAtHeight: 50, purpose: "billing"), nonce: 4)
        let outcomes = s.applyBlock([grant, F.tx("hospital", op, nonce: 3)], height: 2)
        #expect(outcomes.map(\.result.isSuccess) == [true, true])
        #expect(outcomes[1].result.successValue == .recordKeysShared(visits, F.id("tax-office"), shareCount: 2))
        // With the shares it opens both versions; another agency's key opens nothing with them.
        #expect(try payloads[0].open(share: shares[0].key, privateKey: F.sealKey("tax-office")) == Array("{\"visit\":1}".utf8))
        #expect(try payloads[1].open(share: shares[1].key, privateKey: F.sealKey("tax-office")) == Array("{\"visit\":2}".utf8))
        #expect(throws: SealedPayload.Failure.self) { try payloads[0].open(share: shares[0].key, privateKey: F.sealKey("land-bureau")) }
        // A share for version 1 does not open version 2 (each version has its own content key).
        #expect(throws: SealedPayload.Failure.self) { try payloads[1].open(share: shares[0].key, privateKey: F.sealKey("tax-office")) }
    }

    @Test func sharesAreChecked() throws {
        var (s, payloads) = try chain()
        _ = s.applyBlock([F.tx("hospital", .grantAccess(dataset: visits, grantee: F.id("tax-office"), expiresAtHeight: 50, purpose: "x"), nonce: 4)],
                         height: 2)
        func refused(_ shares: [RecordKeyShare], by agency: String = "hospital", dataset: DatasetID? = nil) -> Rejection? {
            s.validate(F.tx(agency, .shareRecordKeys(dataset: dataset ?? visits, grantee: F.id("tax-office"), shares: shares), nonce: 9),
                       atHeight: 3)
        }
        let good = try share(payloads[0], version: 1, to: tax())
        #expect(refused([good]) == nil)
        #expect(refused([good], by: "tax-office") == .notDatasetOwner(F.id("tax-office"), visits))
        // To another agency's key, to a key the grantee does not hold, for a version not written.
        let toLand = try share(payloads[0], version: 1, to: (F.id("land-bureau"), 2, F.sealKey("land-bureau").publicKey))
        let toKey7 = try share(payloads[0], version: 1, to: tax(7))
        let v3 = try share(payloads[1], version: 3, to: tax())
        for bad in [toLand, toKey7, v3] {
            guard case .invalidKeyShare? = refused([bad]) else { Issue.record("accepted \(bad)"); continue }
        }
        // A dataset whose payloads are not sealed has no keys to share.
        _ = s.applyBlock([F.tx("tax-office", .grantAccess(dataset: F.ds("parking.sessions"), grantee: F.id("hospital"), expiresAtHeight: 50,
                                                          purpose: "x"), nonce: 5)], height: 3)
        guard case .invalidKeyShare(let why)? = s.validate(F.tx("tax-office", .shareRecordKeys(dataset: F.ds("parking.sessions"), grantee: F.id("hospital"), shares: [good]), nonce: 6), atHeight: 4) else {
            Issue.record("keys shared on a public dataset"); return
        }
        #expect(why.contains("not restricted"))
        // Only the owner's key can be re-wrapped: the hospital's own key is needed to open it.
        #expect(throws: SealedPayload.Failure.self) {
            try payloads[0].rewrap(as: F.id("hospital"), keyID: 2, privateKey: F.sealKey("land-bureau"), to: tax())
        }
    }

    @Test func sharesDecodeSortedAndNonEmpty() throws {
        let (_, payloads) = try chain()
        let a = try share(payloads[0], version: 1, to: tax()), b = try share(payloads[1], version: 2, to: tax())
        func decode(_ shares: [RecordKeyShare]) throws -> LedgerOperation {
            var w = CanonicalWriter()
            w.u8(12); w.encode(visits); w.encode(F.id("tax-office")); w.array(shares)
            return try LedgerOperation(canonicalBytes: w.bytes)
        }
        #expect(try decode([a, b]) == .shareRecordKeys(dataset: visits, grantee: F.id("tax-office"), shares: [a, b]))
        #expect(throws: CodecError.self) { try decode([b, a]) }
        #expect(throws: CodecError.self) { try decode([a, a]) }
        #expect(throws: CodecError.self) { try decode([]) }
    }

    @Test func aGrantEndsAtABlockTime() {
        var s = F.state()
        let until: UInt64 = 1_800_000_000_000
        let grant = F.tx("hospital", .grantAccess(dataset: visits, grantee: F.id("tax-office"), expiresAtHeight: .max,
                                                  expiresAtMillis: until, purpose: "billing until June"))
        #expect(s.applyBlock([grant], height: 1)[0].result.isSuccess)
        #expect(s.grant(dataset: visits, grantee: F.id("tax-office"))?.expiresAtMillis == until)
        #expect(s.canRead(agency: F.id("tax-office"), dataset: visits, atHeight: 5, atTimeMillis: until - 1)
                == .allowed(.grant(expiresAtHeight: .max, expiresAtMillis: until)))
        #expect(s.canRead(agency: F.id("tax-office"), dataset: visits, atHeight: 5, atTimeMillis: until)
                == .denied(.grantExpiredAtTime(expiredAtMillis: until)))
        // Height still ends a grant that also has a time.
        let both = F.tx("hospital", .grantAccess(dataset: visits, grantee: F.id("land-bureau"), expiresAtHeight: 4,
                                                 expiresAtMillis: until, purpose: "x"), nonce: 2)
        #expect(s.applyBlock([both], height: 2)[0].result.isSuccess)
        #expect(s.canRead(agency: F.id("land-bureau"), dataset: visits, atHeight: 5, atTimeMillis: 0) == .denied(.grantExpired(expiredAtHeight: 4)))
    }
}
