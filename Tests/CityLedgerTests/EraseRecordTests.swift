import CityEncoding
import CityTestSupport
import Testing
@testable import CityLedger

/// `eraseRecord` and detached payloads (issue 18 item 3): the signed body commits to a putRecord's
/// payload by hash, so dropping the payload leaves the id, signatures and Merkle leaf intact; the
/// owner's erasure makes the record an erased state entry, proven like any other; and a committed
/// block whose payloads were erased since replays to the same state.
@Suite struct EraseRecordTests {
    typealias F = Fixture

    func erase(_ agency: String, _ dataset: String, _ subject: String, nonce: UInt64) -> SignedTransaction {
        F.tx(agency, .eraseRecord(dataset: F.ds(dataset), subject: F.subject(subject), reason: "resident's erasure request"), nonce: nonce)
    }

    @Test func theOwnerErasesARecordAndTheStateProvesIt() throws {
        var s = F.state()
        let outcomes = s.applyBlock([F.tx("land-bureau", F.put("land.parcels", "p1", [1]), nonce: 1),
                                     F.tx("tax-office", F.put("land.parcels", "p1", [2]), nonce: 2)], height: 1)
        #expect(outcomes.allSatisfy { $0.result.successValue != nil })
        // A writer is not the owner; an unknown record has nothing to erase.
        #expect(s.validate(erase("tax-office", "land.parcels", "p1", nonce: 3), atHeight: 2)
                == .notDatasetOwner(F.id("tax-office"), F.ds("land.parcels")))
        #expect(s.validate(erase("land-bureau", "land.parcels", "nope", nonce: 3), atHeight: 2)
                == .recordNotFound(F.ds("land.parcels"), F.subject("nope")))
        let eraser = erase("land-bureau", "land.parcels", "p1", nonce: 4)
        #expect(s.apply(eraser, atHeight: 2).successValue == .recordErased(F.ds("land.parcels"), F.subject("p1"), version: 3))
        let entry = try #require(s.record(dataset: F.ds("land.parcels"), subject: F.subject("p1")))
        #expect(entry.erased && entry.deleted && entry.version == 3 && entry.payloadHash == .zero && entry.transactionID == eraser.id)
        #expect(try RecordEntry(canonicalBytes: entry.canonicalBytes) == entry)
        #expect(entry.canonicalBytes.last == 2, "status byte: 0 live, 1 deleted, 2 erased")
        let (proven, proof) = s.proveRecord(dataset: F.ds("land.parcels"), subject: F.subject("p1"))
        #expect(proven == entry)
        #expect(LedgerState.verifyRecord(dataset: F.ds("land.parcels"), subject: F.subject("p1"), entry: entry, proof: proof, stateRoot: s.stateRoot))
        var live = entry
        live.erased = false
        #expect(!LedgerState.verifyRecord(dataset: F.ds("land.parcels"), subject: F.subject("p1"), entry: live, proof: proof, stateRoot: s.stateRoot),
                "a forged 'not erased' entry fails the proof")
        // Twice is refused; a later write starts a new live version.
        #expect(s.validate(erase("land-bureau", "land.parcels", "p1", nonce: 5), atHeight: 3)
                == .recordAlreadyErased(F.ds("land.parcels"), F.subject("p1")))
        #expect(s.apply(F.tx("land-bureau", F.put("land.parcels", "p1", [3]), nonce: 6), atHeight: 3).successValue
                == .recordPut(F.ds("land.parcels"), F.subject("p1"), version: 4))
        // A deleted record can still be erased (its history holds payloads).
        _ = s.apply(F.tx("land-bureau", .deleteRecord(dataset: F.ds("land.parcels"), subject: F.subject("p1"), reason: "sold"), nonce: 7), atHeight: 4)
        #expect(s.apply(erase("land-bureau", "land.parcels", "p1", nonce: 8), atHeight: 5).successValue
                == .recordErased(F.ds("land.parcels"), F.subject("p1"), version: 6))
        #expect(throws: CodecError.self, "status 3 is refused") { try RecordEntry(canonicalBytes: [UInt8](entry.canonicalBytes.dropLast()) + [3]) }
    }

    @Test func anErasedPayloadKeepsTheTransactionsIdentityAndLeaf() throws {
        let sealed = try SealedPayload.seal(Array("canary".utf8), to: [(F.id("hospital"), 2, F.sealKey("hospital").publicKey)])
        let tx = F.tx("hospital", F.put("health.visits", "patient-1", sealed.canonicalBytes))
        let erased = tx.erasingPayload
        #expect(erased.payloadErased && erased.payloadBytes == nil && tx.payloadBytes == sealed.canonicalBytes)
        #expect(erased.id == tx.id && erased.signatures == tx.signatures && erased.leafBytes == tx.leafBytes)
        #expect(erased != tx)
        #expect(erased.canonicalBytes == tx.leafBytes + [2], "the payload field is one byte once erased")
        #expect(try SignedTransaction(canonicalBytes: erased.canonicalBytes) == erased)
        #expect(erased.encodedSize == erased.canonicalBytes.count && tx.encodedSize == tx.canonicalBytes.count)
        let ciphertext = sealed.ciphertext
        #expect(tx.canonicalBytes.containsSlice(ciphertext) && !erased.canonicalBytes.containsSlice(ciphertext))
        // The block's root and inclusion proofs do not see the difference.
        #expect(Block.transactionsRoot([tx]) == Block.transactionsRoot([erased]))
        let header = BlockHeader(chainID: F.chainID, height: 1, timeMillis: 1, previousHash: .zero, transactionsRoot: Block.transactionsRoot([tx]),
                                 transactionCount: 1, stateRoot: .zero, validatorSetHash: .zero, proposer: F.validatorKeys[0].ledgerPublicKey)
        let proof = try #require(Block(header: header, transactions: [tx]).inclusionProof(forTransactionAt: 0))
        #expect(header.verifyInclusion(of: erased, proof: proof))
    }

    @Test func onlyACommittedBlockMayLackAPayload() throws {
        let sealed = try SealedPayload.seal(Array("canary".utf8), to: [(F.id("hospital"), 2, F.sealKey("hospital").publicKey)])
        let tx = F.tx("hospital", F.put("health.visits", "patient-1", sealed.canonicalBytes))
        let erased = tx.erasingPayload
        guard case .payloadMissing? = F.state().validate(erased, atHeight: 1) else { Issue.record("an erased payload was admitted"); return }
        var missing = tx
        missing.payload = nil
        guard case .payloadMissing? = F.state().validate(missing, atHeight: 1) else { Issue.record("a missing payload was admitted"); return }
        #expect(throws: Rejection.self) { try erased.checkStateless(chainID: F.chainID) }
        try erased.checkStateless(chainID: F.chainID, erasedPayloadAllowed: true)
        // Replaying the committed block gives the same state with or without the payload.
        var withPayload = F.state(), withoutPayload = F.state(), proposal = F.state()
        _ = withPayload.applyBlock([tx], height: 1)
        let replayed = withoutPayload.applyBlock([erased], height: 1, committed: true)
        #expect(replayed.first?.result.successValue == .recordPut(F.ds("health.visits"), F.subject("patient-1"), version: 1))
        #expect(withPayload.stateRoot == withoutPayload.stateRoot)
        guard case .failure(.payloadMissing) = proposal.applyBlock([erased], height: 1)[0].result else {
            Issue.record("a proposal without the payload was applied"); return
        }
    }
}
