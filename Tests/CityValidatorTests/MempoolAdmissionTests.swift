import CityEncoding
import CityLedger
import CityValidator
import Testing

/// `Mempool.add`: acceptance, idempotent duplicates, the ledger's rejections and the bounds.
@Suite struct MempoolAdmissionTests {
    typealias F = MempoolFixture

    @Test func acceptsAValidTransaction() {
        var pool = Mempool(limits: MempoolLimits())
        let tx = F.parking(1)
        #expect(pool.add(tx, state: F.state()) == .accepted(sequence: 0))
        #expect(pool.contains(tx.id))
        #expect(pool.count == 1)
        #expect(pool.bytes == tx.canonicalBytes.count)
        #expect(pool.status(of: tx.id) == .pending(sequence: 0))
        #expect(pool.pendingCount(signer: F.id("tax-office")) == 1)
    }

    @Test func duplicateIsIdempotentEvenWhenResigned() {
        var pool = Mempool(limits: MempoolLimits())
        let state = F.state()
        let tx = F.parking(1)
        #expect(pool.add(F.parking(0), state: state) == .accepted(sequence: 0))
        #expect(pool.add(tx, state: state) == .accepted(sequence: 1))
        #expect(pool.add(tx, state: state) == .duplicate(.pending(sequence: 1)))
        // Signing the same body again gives other signature bytes but the same id: one transaction.
        let resigned = try! SignedTransaction.sign(tx.body, payload: tx.payloadBytes, key: F.key("tax-office"))
        #expect(resigned.id == tx.id)
        #expect(pool.add(resigned, state: state) == .duplicate(.pending(sequence: 1)))
        #expect(pool.count == 2)
        #expect(pool.bytes == F.parking(0).canonicalBytes.count + tx.canonicalBytes.count)
    }

    @Test func badSignatureIsRejected() {
        var pool = Mempool(limits: MempoolLimits())
        let forged = try! SignedTransaction.sign(F.parking(1).body, payload: F.parking(1).payloadBytes, key: F.key("land-bureau"))
        #expect(pool.add(forged, state: F.state()) == .rejected(.badSignature(F.signer("tax-office"))))
        #expect(pool.count == 0)
    }

    @Test func expiredIsRejected() {
        var pool = Mempool(limits: MempoolLimits())
        var state = F.state()
        _ = state.applyBlock([], height: 1)
        _ = state.applyBlock([], height: 2)
        #expect(pool.add(F.parking(1, expires: 2), state: state) == .rejected(.expired(expiresAtHeight: 2, height: 3)))
        #expect(pool.add(F.parking(2, expires: 3), state: state) == .accepted(sequence: 0))
    }

    @Test func replayedIsRejected() {
        var pool = Mempool(limits: MempoolLimits())
        var state = F.state()
        let tx = F.parking(1)
        #expect(state.applyBlock([tx], height: 1).allSatisfy { (try? $0.result.get()) != nil })
        // This pool never saw the commit, so the ledger's replay set answers.
        #expect(pool.add(tx, state: state) == .rejected(.replayed(tx.id)))
    }

    @Test func unknownAgencyIsRejected() {
        var pool = Mempool(limits: MempoolLimits())
        let tx = F.tx("fire-dept", F.put("parking.sessions", "s-1", [1]))
        #expect(pool.add(tx, state: F.state()) == .rejected(.unknownAgency(F.id("fire-dept"))))
    }

    @Test func statelessRulesRunOnEntry() {
        var pool = Mempool(limits: MempoolLimits())
        var wrongHash = F.parking(1).body
        wrongHash.operation = .putRecord(dataset: F.ds("parking.sessions"), subject: F.subject("s-1"), payloadHash: Hash32.sha256([9]))
        let tx = try! SignedTransaction.sign(wrongHash, payload: [1, 2], key: F.key("tax-office"))
        #expect(pool.add(tx, state: F.state()) == .rejected(.payloadHashMismatch(expected: Hash32.sha256([1, 2]), got: Hash32.sha256([9]))))
    }

    @Test func countBoundGivesFull() {
        var pool = Mempool(limits: MempoolLimits(maxTransactions: 2))
        let state = F.state()
        #expect(pool.add(F.parking(1), state: state) == .accepted(sequence: 0))
        #expect(pool.add(F.parking(2), state: state) == .accepted(sequence: 1))
        let full = MempoolFull(bound: .transactions, current: 2, limit: 2)
        #expect(pool.add(F.parking(3), state: state) == .full(full))
        #expect(full.description.contains("retry later"))
        #expect(pool.count == 2)
    }

    @Test func byteBoundGivesFull() {
        let size = F.parking(1).canonicalBytes.count
        var pool = Mempool(limits: MempoolLimits(maxBytes: 2 * size + size / 2))
        let state = F.state()
        #expect(pool.add(F.parking(1), state: state) == .accepted(sequence: 0))
        #expect(pool.add(F.parking(2), state: state) == .accepted(sequence: 1))
        #expect(pool.add(F.parking(3), state: state) == .full(MempoolFull(bound: .bytes, current: 2 * size, limit: 2 * size + size / 2)))
        // A transaction larger than the whole pool would never fit: refused, not "retry later".
        let big = F.parking(4, payloadBytes: 4 * size)
        #expect(pool.add(big, state: state) == .rejected(.tooLarge(bytes: big.canonicalBytes.count, max: 2 * size + size / 2)))
    }

    @Test func perSignerBoundGivesFullAndLeavesOthersRoom() {
        var pool = Mempool(limits: MempoolLimits(maxPerSigner: 2))
        let state = F.state()
        #expect(pool.add(F.parking(1), state: state) == .accepted(sequence: 0))
        #expect(pool.add(F.parking(2), state: state) == .accepted(sequence: 1))
        let full = MempoolFull(bound: .perSigner(F.id("tax-office")), current: 2, limit: 2)
        #expect(pool.add(F.parking(3), state: state) == .full(full))
        #expect(full.description.contains("tax-office"))
        #expect(pool.add(F.parking(4, by: "land-bureau"), state: state) == .accepted(sequence: 2))
    }

    @Test func sequencesStayInArrivalOrderAcrossRemovals() {
        var pool = Mempool(limits: MempoolLimits())
        let state = F.state()
        let txs = (1...5).map { F.parking($0) }
        for tx in txs { _ = pool.add(tx, state: state) }
        pool.removeCommitted(ids: [txs[1].id, txs[3].id], height: 1)
        #expect(pool.add(F.parking(6), state: state) == .accepted(sequence: 5))
        #expect(pool.entriesInOrder.map(\.sequence) == [0, 2, 4, 5])
    }
}
