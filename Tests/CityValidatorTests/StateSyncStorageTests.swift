import CityChainAPI
import CityEncoding
import CityLedger
import Foundation
import Logging
import Testing
@testable import CityValidator

/// State sync's storage side (issue 18 item 1): a block log that starts after a certified base
/// block, the state rebuilt from the snapshot at that base, and the pure trust checks.
@Suite struct StateSyncStorageTests {
    typealias S = ChainRecoverySnapshotTests

    static func baseLog(_ chain: Chain, base h: Int, in dir: TempDir) throws -> BlockLog {
        let base = chain.records[h - 1]
        return try BlockLog.open(path: dir.file("blocks.log"), chainID: Chain.genesis.chainID, genesisHash: Chain.genesis.hash,
                                 base: BlockLogBase(header: base.block.header, certificate: base.certificate))
    }

    @Test func aLogWithABaseHoldsOnlyTheBlocksAboveItAndSurvivesAReopen() throws {
        let chain = Chain.make(blocks: 8)
        let dir = TempDir()
        var log = try Self.baseLog(chain, base: 5, in: dir)
        #expect(log.baseHeight == 5 && log.lastHeight == 5 && log.lastHash == chain.records[4].block.header.hash)
        // Block 7 does not follow the base; block 6 does.
        #expect(throws: BlockStoreError.self) { try log.append(chain.records[6].block, certificate: chain.records[6].certificate) }
        try log.append(contentsOf: Array(chain.records[5...7]))
        log.close()
        log = try openLog(dir.file("blocks.log"))
        #expect(log.baseHeight == 5 && log.lastHeight == 8)
        #expect(try log.record(at: 6).block == chain.records[5].block)
        #expect(try log.certifiedHeader(at: 5).header == chain.records[4].block.header, "the base's header is kept")
        do {
            _ = try log.record(at: 3)
            Issue.record("a block below the base was read")
        } catch {
            #expect(error.code == .notFound && error.detail.contains("not kept here") && error.detail.contains("archive node"), "\(error)")
        }
        // The header is version 2; a log from genesis stays version 1 (its bytes unchanged).
        #expect(Array(dir.bytes("blocks.log")[8..<12]) == [0, 0, 0, 2])
        let plain = TempDir()
        _ = try openLog(plain.file("blocks.log"))
        #expect(Array(plain.bytes("blocks.log")[8..<12]) == [0, 0, 0, 1])
    }

    @Test func aDamagedBaseIsRefusedAtOpen() throws {
        let chain = Chain.make(blocks: 3)
        let dir = TempDir()
        try Self.baseLog(chain, base: 2, in: dir).close()
        var bytes = dir.bytes("blocks.log")
        bytes[60] ^= 1
        dir.write(bytes, "blocks.log")
        #expect(throws: BlockStoreError.self) { _ = try openLog(dir.file("blocks.log")) }
    }

    @Test func theStateIsRebuiltFromTheSnapshotAtTheBaseThenTheBlocksAbove() throws {
        let (chain, snaps) = S.chain(blocks: 12, snapshotsAt: [7])
        let dir = TempDir()
        let log = try Self.baseLog(chain, base: 7, in: dir)
        try log.append(contentsOf: Array(chain.records[7...]))
        let outcome = try S.rebuild(log, try S.store(dir, snaps))
        #expect(outcome.snapshotHeight == 7 && outcome.lastHeight == 12)
        #expect(outcome.state.stateRoot == chain.state.stateRoot)
    }

    @Test func withoutASnapshotAtOrAboveTheBaseTheStartIsRefused() throws {
        let (chain, snaps) = S.chain(blocks: 9, snapshotsAt: [4])
        let dir = TempDir()
        let log = try Self.baseLog(chain, base: 6, in: dir)
        let store = try S.store(dir, snaps)
        do throws(BlockStoreError) {
            _ = try S.rebuild(log, store)
            Issue.record("a log with a base rebuilt without its snapshot")
        } catch {
            #expect(error.code == .badSnapshot && error.detail.contains("start with --state-sync"), "\(error)")
        }
    }

    @Test func theStateStateSyncCheckedIsUsedAsIsAndAForeignOneIsNot() throws {
        let (chain, snaps) = S.chain(blocks: 9, snapshotsAt: [6])
        let dir = TempDir()
        let log = try Self.baseLog(chain, base: 6, in: dir)
        try log.append(contentsOf: Array(chain.records[6...]))
        let installed = try LedgerState(snapshot: snaps[0])
        let empty = try S.store(dir, [])   // no snapshot file: the installed state is the only way in
        let outcome = try ChainRecovery.rebuild(genesis: Chain.genesis, log: log, snapshots: empty, installed: installed)
        #expect(outcome.snapshotHeight == 6 && outcome.state.stateRoot == chain.state.stateRoot)
        let (_, foreign) = S.chain(blocks: 6, salt: "b", snapshotsAt: [6])
        #expect(throws: BlockStoreError.self) {
            _ = try ChainRecovery.rebuild(genesis: Chain.genesis, log: log, snapshots: empty, installed: try LedgerState(snapshot: foreign[0]))
        }
    }

    /// A validator that starts without a sign record on a log whose certificates hold its key (a
    /// wiped disk refilled, or a lost record) signs nothing up to the last of them plus the margin;
    /// one that says the record is lost (`--sign-record-lost`) or holds its record sets no floor.
    @Test func aValidatorWithoutItsSignRecordFloorsItsSigningAboveTheCertificatesItSees() async throws {
        let chain = Chain.make(blocks: 10)
        func node(_ dir: TempDir, lost: Bool = false, signer: Int = 0) throws -> ValidatorNode {
            var settings = TestCluster.settings(name: "validator-\(signer)")
            settings.signRecordLost = lost
            let (_, commands) = AsyncStream<EngineCommand>.makeStream()
            return try ValidatorNode(settings: settings, genesis: Chain.genesis, dataDirectory: dir.path, signer: TestCluster.signer(signer),
                                     hub: GossipHub(maxQueuedItems: 10), commands: commands, logger: Logger(label: "test.floor"))
        }
        // Just state-synced at block 10: the log holds only its base, whose certificate validator 0
        // signed (Chain.certify: validators 0-2). The start guard sees no record to refuse on.
        let (_, snaps) = S.chain(blocks: 10, snapshotsAt: [10])
        func synced() throws -> TempDir {
            let dir = TempDir()
            try Self.baseLog(chain, base: 10, in: dir).close()
            _ = try S.store(dir, snaps)
            return dir
        }
        #expect(try await node(try synced()).signFloor == 10 + ValidatorNode.signFloorMargin)
        #expect(try await node(try synced(), signer: 3).signFloor == 0, "validator 3 is in no certificate: nothing to fear")
        #expect(try await node(try synced(), lost: true).signFloor == 0, "--sign-record-lost: the operator waited")
    }

    // MARK: - Trust

    static func certified(_ chain: Chain, _ h: Int) -> CertifiedBlock {
        CertifiedBlock(block: chain.records[h - 1].block, certificate: chain.records[h - 1].certificate)
    }

    @Test func theGenesisSetVouchesForASnapshotBlockItSigned() {
        let chain = Chain.make(blocks: 5)
        #expect(StateSyncCheck.refusal(Self.certified(chain, 4), links: [], trust: .genesis, genesis: Chain.genesis) == nil)
        var forged = Self.certified(chain, 4)
        forged.block.header.stateRoot = Hash32.sha256([1])
        forged.certificate.blockHash = forged.block.header.hash
        let why = StateSyncCheck.refusal(forged, links: [], trust: .genesis, genesis: Chain.genesis) ?? ""
        #expect(why.contains("does not verify against the genesis validator set"), "\(why)")
    }

    @Test func aTrustedBlockVouchesForTheSnapshotBlockThroughTheHashLinks() {
        let chain = Chain.make(blocks: 9)
        let headers = chain.records.map(\.block.header)
        let trusted = StateSyncTrust.block(height: 9, hash: headers[8].hash)
        #expect(StateSyncCheck.refusal(Self.certified(chain, 5), links: Array(headers[5...8]), trust: trusted, genesis: Chain.genesis) == nil)
        #expect(StateSyncCheck.refusal(Self.certified(chain, 9), links: [], trust: trusted, genesis: Chain.genesis) == nil)
        // Another chain's block 5, certified by its own validators, does not link to the trusted hash.
        let other = Chain.make(blocks: 9, salt: "b")
        let why = StateSyncCheck.refusal(Self.certified(other, 5), links: Array(headers[5...8]), trust: trusted, genesis: Chain.genesis) ?? ""
        #expect(why.contains("does not follow block 5"), "\(why)")
        let wrongHash = StateSyncTrust.block(height: 9, hash: Hash32.sha256([9]))
        let why2 = StateSyncCheck.refusal(Self.certified(chain, 5), links: Array(headers[5...8]), trust: wrongHash, genesis: Chain.genesis) ?? ""
        #expect(why2.contains("not the hash you trust") || why2.contains("the hash you trust"), "\(why2)")
        let above = StateSyncCheck.refusal(Self.certified(chain, 9), links: [], trust: .block(height: 8, hash: headers[7].hash), genesis: Chain.genesis) ?? ""
        #expect(above.contains("above the trusted block"), "\(above)")
    }

    @Test func anAssembledSnapshotMustBeTheStateTheBlockCommitsTo() throws {
        let (chain, snaps) = S.chain(blocks: 6, snapshotsAt: [4])
        let file = try SnapshotFile.encode(snaps[0])
        var state: LedgerState?
        #expect(StateSyncCheck.refusal(file: file, for: chain.records[3].block.header, genesis: Chain.genesis, state: &state) == nil)
        #expect(state?.stateRoot == chain.records[3].block.header.stateRoot)
        var other: LedgerState?
        let why = StateSyncCheck.refusal(file: file, for: chain.records[4].block.header, genesis: Chain.genesis, state: &other) ?? ""
        #expect(why.contains("is not the state block 5 commits to") && other == nil, "\(why)")
    }
}
