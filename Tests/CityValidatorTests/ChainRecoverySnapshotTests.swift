import CityEncoding
import CityLedger
import Foundation
import Testing
@testable import CityValidator

@Suite struct ChainRecoverySnapshotTests {
    /// A chain of `blocks` blocks of `transactions` each, with the state snapshot after each height in `at`.
    static func chain(blocks: Int, transactions: Int = 2, salt: String = "a", snapshotsAt at: Set<Int>) -> (Chain, [LedgerSnapshot]) {
        var chain = Chain(salt: salt)
        var snaps: [LedgerSnapshot] = []
        for h in 1...blocks {
            chain.next(transactions: transactions)
            if at.contains(h) { snaps.append(chain.state.snapshot()) }
        }
        return (chain, snaps)
    }

    static func log(_ records: [BlockRecord], in dir: TempDir) throws -> BlockLog {
        let log = try openLog(dir.file("blocks.log"))
        try log.append(contentsOf: records)
        return log
    }

    static func store(_ dir: TempDir, _ snaps: [LedgerSnapshot], logger: LogRecorder = LogRecorder()) throws -> SnapshotStore {
        let store = try SnapshotStore.open(directory: dir.file("snapshots"), keep: 4, logger: logger.logger)
        for s in snaps { try store.write(s) }
        return store
    }

    static func rebuild(_ log: BlockLog, _ store: SnapshotStore, _ recorder: LogRecorder = LogRecorder(),
                        verifyCertificates: Bool = true) throws(BlockStoreError) -> ChainRecovery.Outcome {
        try ChainRecovery.rebuild(genesis: Chain.genesis, log: log, snapshots: store, verifyCertificates: verifyCertificates,
                                  logger: recorder.logger)
    }

    @Test func rebuildingFromASnapshotGivesExactlyTheStateOfAFullReplay() throws {
        // 110 blocks of one transaction expiring 100 blocks later: the blocks replayed after the
        // snapshot at 60 prune replay entries the snapshot holds, so its replay index is exercised.
        let (chain, snaps) = Self.chain(blocks: 110, transactions: 1, snapshotsAt: [60])
        let dir = TempDir()
        let log = try Self.log(chain.records, in: dir)
        let outcome = try Self.rebuild(log, try Self.store(dir, snaps))
        #expect(outcome.snapshotHeight == 60)
        #expect(outcome.lastHeight == 110)
        #expect(outcome.state.height == 110)
        let full = try ChainRecovery.rebuild(genesis: Chain.genesis, log: log)
        #expect(outcome.state.stateRoot == full.state.stateRoot)
        #expect(outcome.state.stateRoot == chain.state.stateRoot)
        #expect(outcome.state.snapshot() == full.state.snapshot())
    }

    @Test func aSnapshotAtTheLogsTipLeavesNothingToReplay() throws {
        let (chain, snaps) = Self.chain(blocks: 4, snapshotsAt: [4])
        let dir = TempDir()
        let outcome = try Self.rebuild(try Self.log(chain.records, in: dir), try Self.store(dir, snaps))
        #expect(outcome.snapshotHeight == 4)
        #expect(outcome.state.stateRoot == chain.state.stateRoot)
    }

    @Test func aSnapshotOfAnotherChainIsRefusedAndAnOlderOneUsed() throws {
        let (chain, good) = Self.chain(blocks: 6, snapshotsAt: [2])
        let (_, fork) = Self.chain(blocks: 4, salt: "b", snapshotsAt: [4])
        let dir = TempDir()
        let recorder = LogRecorder()
        let outcome = try Self.rebuild(try Self.log(chain.records, in: dir), try Self.store(dir, good + fork, logger: recorder), recorder)
        #expect(outcome.snapshotHeight == 2)
        #expect(outcome.state.stateRoot == chain.state.stateRoot)
        let reason = recorder.warnings.first?.metadata["storage.reason"]?.description ?? ""
        #expect(reason.contains("is not \(chain.records[3].block.header.stateRoot)"))
    }

    @Test func aSnapshotWhoseEntriesDoNotHashToItsRootIsRefused() throws {
        let (chain, snaps) = Self.chain(blocks: 4, snapshotsAt: [3])
        // A whole, checksummed file whose header names the certified root but whose entries differ.
        var tampered = snaps[0]
        let i = tampered.entries.count / 2
        tampered.entries[i].value[0] ^= 1
        let dir = TempDir()
        let recorder = LogRecorder()
        let outcome = try Self.rebuild(try Self.log(chain.records, in: dir), try Self.store(dir, [tampered], logger: recorder), recorder)
        #expect(outcome.snapshotHeight == nil)
        #expect(outcome.state.stateRoot == chain.state.stateRoot)
        #expect(recorder.warnings.count == 1)
    }

    @Test func aDamagedNewestSnapshotFallsBackToTheOlderOne() throws {
        let (chain, snaps) = Self.chain(blocks: 5, snapshotsAt: [2, 4])
        let dir = TempDir()
        let store = try Self.store(dir, snaps)
        let path = store.path(forHeight: 4)
        var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        bytes[bytes.count / 2] ^= 0x01
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let outcome = try Self.rebuild(try Self.log(chain.records, in: dir), store)
        #expect(outcome.snapshotHeight == 2)
        #expect(outcome.state.stateRoot == chain.state.stateRoot)
    }

    @Test func aSnapshotAboveTheLogsHeightIsNotUsed() throws {
        let (chain, snaps) = Self.chain(blocks: 6, snapshotsAt: [2, 5])
        let dir = TempDir()
        let outcome = try Self.rebuild(try Self.log(Array(chain.records.prefix(3)), in: dir), try Self.store(dir, snaps))
        #expect(outcome.snapshotHeight == 2)
        #expect(outcome.state.stateRoot == chain.records[2].block.header.stateRoot)
    }

    @Test func aSnapshotAtABlockWhoseCertificateFailsIsNotUsed() throws {
        let (chain, snaps) = Self.chain(blocks: 3, snapshotsAt: [3])
        var records = chain.records
        let header = records[2].block.header
        let vote = try Vote.sign(kind: .precommit, height: 3, round: 0, blockHash: header.hash, chainID: Chain.chainID,
                                 key: Chain.validatorKeys[0])
        records[2].certificate = CommitCertificate(height: 3, round: 0, blockHash: header.hash, precommits: [vote])
        let dir = TempDir()
        let log = try Self.log(records, in: dir)
        let store = try Self.store(dir, snaps)
        // The snapshot is refused, so replay starts from genesis and refuses block 3 itself.
        let error = #expect(throws: BlockStoreError.self) { try Self.rebuild(log, store) }
        #expect(error?.code == .invalidBlock)
        #expect(error?.height == 3)
        #expect(try Self.rebuild(log, store, verifyCertificates: false).snapshotHeight == 3)
    }

    @Test func certifiedReplaySkipsTransactionSignaturesUnlessAsked() throws {
        // Block 3 holds a transaction with a broken signature, applied and certified as if it were
        // good: only replay that re-verifies signatures notices (and then disagrees with the header).
        var chain = Chain.make(blocks: 2)
        var tx = chain.transaction(payloadBytes: 16, atHeight: 3)
        var signature = tx.signatures[0].signature.bytes
        signature[0] ^= 1
        tx.signatures[0].signature = try Signature(bytes: signature)
        chain.next(block: [tx], signaturesVerified: true)
        let dir = TempDir()
        let log = try Self.log(chain.records, in: dir)
        #expect(try ChainRecovery.rebuild(genesis: Chain.genesis, log: log).state.stateRoot == chain.state.stateRoot)
        for error in [
            #expect(throws: BlockStoreError.self) {
                try ChainRecovery.rebuild(genesis: Chain.genesis, log: log, verifyTransactionSignatures: true)
            },
            // Without certificates nothing vouches for the transactions: signatures are checked.
            #expect(throws: BlockStoreError.self) {
                try ChainRecovery.rebuild(genesis: Chain.genesis, log: log, verifyCertificates: false)
            },
        ] {
            #expect(error?.code == .stateRootMismatch)
            #expect(error?.height == 3)
        }
    }
}
