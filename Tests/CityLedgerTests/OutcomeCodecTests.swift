import CityEncoding
import Testing
@testable import CityLedger

/// Canonical encodings of `Rejection`, `TxEffect` and `TxOutcome`: round trips and malformed input.
@Suite struct OutcomeCodecTests {
    typealias F = Fixture

    /// One rejection of every code, in code order.
    static var everyRejection: [Rejection] {
        let a = F.id("hospital"), d = F.ds("land.parcels"), s = F.signer("hospital"), v = F.validatorKeys[0].ledgerPublicKey
        return [
            .malformed("bad tag"), .tooLarge(bytes: 70_000, max: 65_536), .wrongChain(expected: "citychain-test", got: "other"),
            .expired(expiresAtHeight: 5, height: 6), .lifetimeTooLong(expiresAtHeight: 20_000, maxHeight: 10_001),
            .replayed(TransactionID(Hash32.sha256([1]))), .unknownAgency(a), .unknownKey(s), .revokedKey(s, revokedAtHeight: 8),
            .badSignature(s), .signerMismatch("twice"), .notAdmin(a), .adminQuorumNotMet(have: 1, need: 2), .unknownDataset(d),
            .datasetExists(d), .notDatasetWriter(a, d), .notDatasetOwner(a, d),
            .payloadHashMismatch(expected: Hash32.sha256([1]), got: .zero), .payloadNotSealed("not sealed"),
            .recordNotFound(d, F.subject("p1")), .grantNotFound(d, a), .grantExpiryInPast(expiresAtHeight: 3, height: 4),
            .agencyExists(a), .keyExists(a, 3), .tooManyKeys(a), .keyAlreadyRevoked(a, 1), .invalidValidatorChange("empty"),
            .auditSequenceGap(expected: 10, got: 11), .invalidAuditBatch("5...4"), .unknownWriter(a),
            .invalidEvidence("same block"), .badEvidenceSignature(v), .evidenceOffenderNotValidator(v),
            .evidenceTooOld(height: 1, minHeight: 2), .evidenceTooNew(height: 9, maxHeight: 8),
            .evidenceAlreadyRecorded(Hash32.sha256([2]), includedAtHeight: 4), .duplicateEvidence(Hash32.sha256([3])),
            .tooMuchEvidence(count: 65, max: 64), .certificateAlreadyRevoked(Hash32.sha256([4]), atHeight: 12), .tooManyRevokedCertificates,
            .invalidKeyShare("not the grantee's key"),
            .payloadMissing("putRecord carries no payload"),
            .recordAlreadyErased(F.ds("health.visits"), F.subject("patient-1")),
        ]
    }

    /// One effect of every tag, in tag order.
    static var everyEffect: [TxEffect] {
        let a = F.id("hospital"), d = F.ds("land.parcels"), s = F.subject("p1")
        let key = AgencyKey(keyID: 3, material: .signing(F.signingKey(0x34).ledgerPublicKey))
        let dataset = DatasetEntry(id: d, owner: a, sensitivity: .internal, schema: "parcel/v1", writers: [a], createdAtHeight: 4)
        let agency = AgencyEntry(id: a, name: "Hospital", isAdmin: false, keys: [AgencyKeyState(key: key, addedAtHeight: 2)])
        let change = PendingValidatorChange(effectiveHeight: 9, changes: [ValidatorChange(publicKey: F.signingKey(0x20).ledgerPublicKey, power: 5, name: "v-new")])
        return [
            .datasetDefined(dataset), .recordPut(d, s, version: 2), .recordDeleted(d, s, version: 3),
            .accessGranted(d, a, GrantEntry(expiresAtHeight: 90, expiresAtMillis: 1_800_000_000_000, purpose: "audit", grantedAtHeight: 7)),
            .accessRevoked(d, a),
            .agencyRegistered(agency), .keyAdded(a, key), .keyRevoked(a, 1), .validatorChangeScheduled(change),
            .auditAnchored(a, firstSequence: 0, lastSequence: 99),
            .certificateRevoked(RevokedCertificate(fingerprint: Hash32.sha256([5]), revokedAtHeight: 11, reason: "leaked laptop")),
            .recordKeysShared(d, a, shareCount: 3),
            .recordErased(d, F.subject("patient-1"), version: 4),
        ]
    }

    func codecError<T: CanonicalDecodable>(_: T.Type, _ bytes: [UInt8]) -> CodecError.Code? {
        do { _ = try T(canonicalBytes: bytes); return nil } catch { return error.code }
    }

    /// Every strict prefix is truncated and one extra byte is trailing.
    func refusesCutAndPadded<T: CanonicalDecodable>(_: T.Type, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        for n in 0..<bytes.count {
            #expect(codecError(T.self, Array(bytes.prefix(n))) == .truncated, "prefix \(n)", sourceLocation: sourceLocation)
        }
        #expect(codecError(T.self, bytes + [0]) == .trailingBytes, sourceLocation: sourceLocation)
    }

    @Test func everyRejectionRoundTrips() throws {
        let all = Self.everyRejection
        #expect(all.map(\.code) == Array(1...43))
        for r in all {
            let bytes = r.canonicalBytes
            #expect(Array(bytes.prefix(2)) == [UInt8(r.code >> 8), UInt8(r.code & 0xff)])
            #expect(try Rejection(canonicalBytes: bytes) == r, "\(r)")
            refusesCutAndPadded(Rejection.self, bytes)
        }
    }

    @Test func unknownRejectionCodeIsRefused() {
        for code: UInt16 in [0, 44, 0xffff] {
            #expect(codecError(Rejection.self, [UInt8(code >> 8), UInt8(code & 0xff), 0, 0, 0, 0]) == .unknownTag)
        }
    }

    @Test func rejectionFieldsAreCheckedOnDecode() {
        // A count above Int.max, an invalid chain id, an over-long detail.
        #expect(codecError(Rejection.self, [0, 2] + [UInt8](repeating: 0xff, count: 8) + [UInt8](repeating: 0, count: 8)) == .invalidValue)
        #expect(codecError(Rejection.self, [0, 3, 0, 0, 0, 1, 0x41, 0, 0, 0, 1, 0x61]) == .invalidValue)
        var w = CanonicalWriter()
        w.u16(1)
        w.string(String(repeating: "x", count: LedgerLimits.maxRejectionDetailBytes + 1))
        #expect(codecError(Rejection.self, w.bytes) == .overLimit)
    }

    @Test func longDetailsAreClippedAtACharacterBoundary() throws {
        let long = String(repeating: "é", count: LedgerLimits.maxRejectionDetailBytes)   // 2 bytes each
        let decoded = try Rejection(canonicalBytes: Rejection.malformed(long).canonicalBytes)
        guard case .malformed(let d) = decoded else { Issue.record("case changed"); return }
        #expect(d.utf8.count == LedgerLimits.maxRejectionDetailBytes)
        #expect(long.hasPrefix(d))
        let odd = "a" + long
        let clipped = Rejection.clipped(odd)
        #expect(clipped.utf8.count == LedgerLimits.maxRejectionDetailBytes - 1)   // the cut never splits "é"
        #expect(Rejection.malformed(odd).canonicalBytes == Rejection.malformed(clipped).canonicalBytes)
    }

    @Test func everyEffectRoundTrips() throws {
        #expect(Self.everyEffect.map(\.tag) == Array(1...13))
        for e in Self.everyEffect {
            let bytes = e.canonicalBytes
            #expect(bytes.first == e.tag)
            #expect(try TxEffect(canonicalBytes: bytes) == e)
            refusesCutAndPadded(TxEffect.self, bytes)
        }
        for tag: UInt8 in [0, 14, 0xff] { #expect(codecError(TxEffect.self, [tag, 0, 0, 0, 0]) == .unknownTag) }
    }

    @Test func outcomesRoundTrip() throws {
        let id = TransactionID(Hash32.sha256([7]))
        let outcomes = Self.everyEffect.enumerated().map { TxOutcome(transactionID: id, index: $0.offset, result: .success($0.element)) }
            + Self.everyRejection.map { TxOutcome(transactionID: id, index: 9_999, result: .failure($0)) }
        for o in outcomes {
            let bytes = o.canonicalBytes
            #expect(try TxOutcome(canonicalBytes: bytes) == o)
            refusesCutAndPadded(TxOutcome.self, bytes)
        }
        let applied = outcomes[0].canonicalBytes
        var badTag = applied
        badTag[36] = 2
        #expect(codecError(TxOutcome.self, badTag) == .unknownTag)
        var badIndex = applied
        badIndex.replaceSubrange(32..<36, with: [0, 0, 0x27, 0x10])   // 10000
        #expect(codecError(TxOutcome.self, badIndex) == .invalidValue)
    }

    @Test func outcomesOfARealBlockRoundTrip() throws {
        var s = F.state()
        let tx = F.tx("land-bureau", F.put("land.parcels", "p1", [1]))
        let outcomes = s.applyBlock([tx, tx, F.tx("hospital", F.put("land.parcels", "p2", [1]))], height: 1)
        #expect(outcomes.map { $0.result.failureValue?.code } == [nil, 6, 16])
        for o in outcomes { #expect(try TxOutcome(canonicalBytes: o.canonicalBytes) == o) }
    }
}
