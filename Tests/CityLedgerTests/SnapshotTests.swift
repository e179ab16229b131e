import CityEncoding
import Testing
@testable import CityLedger

/// `LedgerState.snapshot()` and `LedgerState(snapshot:)`.
@Suite struct SnapshotTests {
    typealias F = Fixture

    /// Blocks 1 and 2: records, a grant, an audit anchor (an audit head entry), a validator change
    /// still pending, and transactions expiring at 3, 4 and 100.
    static func history() -> (LedgerState, [SignedTransaction]) {
        var s = F.state()
        let txs = [
            F.tx("land-bureau", F.put("land.parcels", "p1", [1]), expires: 3),
            F.tx("tax-office", F.put("land.parcels", "p2", [2]), expires: 4),
            F.tx("tax-office", .anchorAuditBatch(firstSequence: 0, lastSequence: 9, recordCount: 10,
                                                 merkleRoot: Hash32.sha256([9])), nonce: 2),
        ]
        _ = s.applyBlock(txs, height: 1)
        let later = [
            F.tx("land-bureau", .grantAccess(dataset: F.ds("land.parcels"), grantee: F.id("hospital"), expiresAtHeight: 50,
                                             purpose: "audit"), nonce: 2),
            F.tx("admin-a", .changeValidatorSet(changes: [ValidatorChange(publicKey: F.signingKey(0x20).ledgerPublicKey, power: 5,
                                                                          name: "v-new")]), cosigners: ["admin-b"]),
        ]
        _ = s.applyBlock(later, height: 2)
        return (s, txs + later)
    }

    func restoreError(_ snapshot: LedgerSnapshot) -> LedgerErrorCode? {
        do { _ = try LedgerState(snapshot: snapshot); return nil } catch { return error.code }
    }

    @Test func restoredStateDecidesLikeTheOriginal() throws {
        let (start, committed) = Self.history()
        var original = start
        let snap = original.snapshot()
        #expect(snap.height == 2 && snap.stateRoot == original.stateRoot)
        #expect(snap.replayIDs == committed.map(\.id).sorted())
        let decoded = try LedgerSnapshot(canonicalBytes: snap.canonicalBytes)
        #expect(decoded == snap)
        var restored = try LedgerState(snapshot: decoded)
        #expect(restored.stateRoot == original.stateRoot)
        #expect(restored.chainID == original.chainID && restored.genesisHash == original.genesisHash && restored.height == 2)
        #expect(restored.snapshot() == snap)
        // The same further blocks: replays, a fresh write, pruning at 4 and 5, the validator change at 4.
        let blocks: [[SignedTransaction]] = [
            [committed[1], committed[0], F.tx("hospital", F.put("land.parcels", "p9", [9])), F.tx("land-bureau", F.put("land.parcels", "p3", [3]), nonce: 7)],
            [committed[3]],
            [committed[1], F.tx("tax-office", F.put("land.parcels", "p2", [4]), nonce: 9)],
        ]
        for (i, block) in blocks.enumerated() {
            let h = UInt64(3 + i)
            let a = original.applyBlock(block, height: h)
            let b = restored.applyBlock(block, height: h)
            #expect(a == b, "block \(h)")
            #expect(original.stateRoot == restored.stateRoot, "block \(h)")
            #expect(original.snapshot() == restored.snapshot(), "block \(h)")
        }
        #expect(restored.raw(.replay(committed[0].id)) == nil)   // expired at 3, pruned at 4
        #expect(restored.raw(.replay(committed[1].id)) == nil)   // expired at 4, pruned at 5
        #expect(restored.raw(.replay(committed[3].id)) != nil)
        #expect(restored.validate(committed[3], atHeight: 6) == .replayed(committed[3].id))
        #expect(restored.currentValidatorSet == original.currentValidatorSet)
    }

    @Test func genesisStateRoundTrips() throws {
        let s = F.state()
        let restored = try LedgerState(snapshot: try LedgerSnapshot(canonicalBytes: s.snapshot().canonicalBytes))
        #expect(restored.stateRoot == s.stateRoot && restored.height == 0)
    }

    @Test func inconsistentSnapshotsAreRefused() {
        let snap = Self.history().0.snapshot()
        var wrongRoot = snap
        wrongRoot.stateRoot = .zero
        #expect(restoreError(wrongRoot) == .invalidSnapshot)
        var wrongHeight = snap
        wrongHeight.height = 3
        #expect(restoreError(wrongHeight) == .invalidSnapshot)
        var missingID = snap
        missingID.replayIDs.removeLast()
        #expect(restoreError(missingID) == .invalidSnapshot)
        var strangerID = snap
        strangerID.replayIDs.append(TransactionID(Hash32(bytes: [UInt8](repeating: 0xff, count: 32))!))
        #expect(restoreError(strangerID) == .invalidSnapshot)
        var droppedEntry = snap
        droppedEntry.entries.removeFirst()
        #expect(restoreError(droppedEntry) == .invalidSnapshot)
    }

    @Test func snapshotDecoderRefusesNonCanonicalInput() throws {
        let snap = Self.history().0.snapshot()
        var unsorted = snap
        unsorted.entries.swapAt(0, 1)
        #expect(throws: CodecError.self) { try LedgerSnapshot(canonicalBytes: unsorted.canonicalBytes) }
        var duplicated = snap
        duplicated.replayIDs.append(duplicated.replayIDs.last!)
        #expect(throws: CodecError.self) { try LedgerSnapshot(canonicalBytes: duplicated.canonicalBytes) }
        let bytes = snap.canonicalBytes
        #expect(throws: CodecError.self) { try LedgerSnapshot(canonicalBytes: bytes + [0]) }
        #expect(throws: CodecError.self) { try LedgerSnapshot(canonicalBytes: bytes.dropLast()) }
    }
}
