import CityEncoding
import Testing
@testable import CityLedger

/// Round trips of every encoded type and refusal of malformed input with the right code.
@Suite struct CodecTests {
    typealias F = Fixture

    func roundTrip<T: CanonicalCodable & Equatable>(_ v: T, sourceLocation: SourceLocation = #_sourceLocation) {
        let bytes = v.canonicalBytes
        #expect((try? T(canonicalBytes: bytes)) == v, sourceLocation: sourceLocation)
        #expect((try? T(canonicalBytes: bytes))?.canonicalBytes == bytes, sourceLocation: sourceLocation)
    }

    func code<T: CanonicalDecodable>(_: T.Type, _ bytes: [UInt8]) -> CodecError.Code? {
        do { _ = try T(canonicalBytes: bytes); return nil } catch { return error.code }
    }

    @Test func everyTransactionKindRoundTripsAndPassesStatelessChecks() throws {
        let txs = F.sampleTransactions
        #expect(txs.map(\.body.operation.tag) == Array(1...13))
        for tx in txs {
            roundTrip(tx)
            roundTrip(tx.body)
            roundTrip(tx.body.operation)
            try tx.checkStateless(chainID: F.chainID)
        }
    }

    @Test func stateAndMiscTypesRoundTrip() throws {
        let s = F.state()
        roundTrip(s.agency(F.id("hospital"))!)
        roundTrip(s.dataset(F.ds("land.parcels"))!)
        roundTrip(s.adminSet)
        roundTrip(RecordEntry(version: 2, payloadHash: .zero, writer: F.signer("hospital"), height: 3, transactionID: TransactionID(.zero), deleted: true))
        roundTrip(GrantEntry(expiresAtHeight: 9, purpose: "p", grantedAtHeight: 1))
        roundTrip(AgencyKeyState(key: AgencyKey(keyID: 1, material: .signing(F.validatorKeys[0].ledgerPublicKey)), addedAtHeight: 1, revokedAtHeight: 4))
        roundTrip(PendingValidatorChange(effectiveHeight: 3, changes: [ValidatorChange(publicKey: F.validatorKeys[0].ledgerPublicKey, power: 0, name: "x")]))
        roundTrip(AuditAnchorEntry(firstSequence: 1, lastSequence: 2, recordCount: 2, merkleRoot: .zero, height: 1, transactionID: TransactionID(.zero)))
        roundTrip(ChainMetaEntry(chainID: F.chainID, height: 4, genesisHash: .zero))
        roundTrip(F.genesis)
        for s in Sensitivity.allCases { roundTrip(s) }
        roundTrip(VoteKind.precommit)
    }

    @Test func identifiersAreValidatedOnConstructionAndDecode() {
        #expect(throws: CodecError.self) { try AgencyID("Land_Bureau") }
        #expect(throws: CodecError.self) { try AgencyID("") }
        #expect(throws: CodecError.self) { try AgencyID(String(repeating: "a", count: 65)) }
        #expect(throws: CodecError.self) { try DatasetID("land/parcels") }
        #expect(throws: CodecError.self) { try SubjectKey(String(repeating: "é", count: 129)) }
        #expect((try? DatasetID("land.parcels_v-2")) != nil)
        var w = CanonicalWriter()
        w.string("Bad")
        #expect(code(AgencyID.self, w.bytes) == .invalidValue)
        var tx = F.sampleTransactions[1].canonicalBytes
        tx[4] = UInt8(ascii: "X")  // first byte of the chain id
        #expect(code(SignedTransaction.self, tx) == .invalidValue)
    }

    @Test func malformedTransactionsAreRefusedWithTheRightCode() {
        let tx = F.sampleTransactions[1]
        let bytes = tx.canonicalBytes
        #expect(code(SignedTransaction.self, Array(bytes.dropLast())) == .truncated)
        #expect(code(SignedTransaction.self, bytes + [0]) == .trailingBytes)
        // Unknown operation tag: the tag follows chain id, signer, nonce and expiry.
        let tagOffset = TransactionBody(chainID: tx.body.chainID, signer: tx.body.signer, nonce: 0, expiresAtHeight: 0,
                                        operation: .revokeAccess(dataset: F.ds("a"), grantee: F.id("b"))).canonicalBytes.count
            - LedgerOperation.revokeAccess(dataset: F.ds("a"), grantee: F.id("b")).canonicalBytes.count
        var unknown = bytes
        #expect(unknown[tagOffset] == 2)
        unknown[tagOffset] = 0xee
        #expect(code(SignedTransaction.self, unknown) == .unknownTag)
        // Over-limit signature count.
        var w = CanonicalWriter()
        w.encode(tx.body)
        w.u32(UInt32(LedgerLimits.maxSignatures + 1))
        #expect(code(SignedTransaction.self, w.bytes) == .overLimit)
        // No signatures at all.
        var none = CanonicalWriter()
        none.encode(tx.body)
        none.u32(0)
        #expect(code(SignedTransaction.self, none.bytes) == .invalidValue)
    }

    @Test func unsortedListsAreNonCanonical() {
        let op = LedgerOperation.defineDataset(id: F.ds("d"), sensitivity: .public, schema: "s", writers: [F.id("b"), F.id("a")])
        #expect(code(LedgerOperation.self, op.canonicalBytes) == .nonCanonical)
        let dup = LedgerOperation.registerAgency(id: F.id("x"), name: "X", isAdmin: false, keys: [
            AgencyKey(keyID: 1, material: .signing(F.validatorKeys[0].ledgerPublicKey)),
            AgencyKey(keyID: 1, material: .signing(F.validatorKeys[1].ledgerPublicKey)),
        ])
        #expect(code(LedgerOperation.self, dup.canonicalBytes) == .nonCanonical)
        #expect(code(Sensitivity.self, [3]) == .unknownTag)
        #expect(code(VoteKind.self, [0]) == .unknownTag)
        #expect(code(AgencyKeyMaterial.self, [2] + [UInt8](repeating: 0, count: 32)) == .unknownTag)
        var payload = CanonicalWriter()
        payload.u8(1); payload.u32(UInt32(LedgerLimits.maxPayloadBytes + 1))
        #expect(code(DetachedPayload.self, payload.bytes) == .overLimit)
        #expect(code(DetachedPayload.self, [3]) == .unknownTag)
    }
}
