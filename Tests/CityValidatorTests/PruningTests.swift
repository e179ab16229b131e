import CityEncoding
import CityLedger
import Foundation
import Testing
@testable import CityValidator

/// Pruning (issue 18 item 2): a validator keeps the blocks above a retain height; the freed prefix
/// costs no disk, the log reopens after its new base, and the state is rebuilt from a snapshot at
/// or above it.
@Suite struct PruningTests {
    typealias S = ChainRecoverySnapshotTests

    @Test func pruningFreesThePrefixAndTheLogReopensAfterItsNewBase() throws {
        let chain = Chain.make(blocks: 40, transactions: 20)
        let dir = TempDir()
        var log = try S.log(chain.records, in: dir)
        let (before, after) = try log.prune(through: 30)
        #expect(log.baseHeight == 30 && log.lastHeight == 40)
        #expect(after < before, "the prefix's disk blocks are freed (\(before) → \(after) bytes)")
        #expect(try log.record(at: 31).block == chain.records[30].block)
        #expect(try log.certifiedHeader(at: 30).header == chain.records[29].block.header)
        #expect(throws: BlockStoreError.self) { _ = try log.record(at: 12) }
        log.close()
        log = try openLog(dir.file("blocks.log"))
        #expect(log.baseHeight == 30 && log.lastHeight == 40 && log.lastHash == chain.records[39].block.header.hash)
        let more = Chain.make(blocks: 41, transactions: 20)
        try log.append(more.records[40].block, certificate: more.records[40].certificate)
        try log.prune(through: 35)
        log.close()
        log = try openLog(dir.file("blocks.log"))
        #expect(log.baseHeight == 35 && log.lastHeight == 41)
        #expect(try log.record(at: 41).block == more.records[40].block)
    }

    @Test func aCrashBetweenTheMarkAndTheHoleLeavesALogThatOpensAfterTheNewBase() throws {
        let chain = Chain.make(blocks: 12)
        let dir = TempDir()
        let log = try S.log(chain.records, in: dir)
        // The mark alone, as if the process died before freeing anything: prune, then put the whole
        // file back beside the mark.
        try log.prune(through: 8)
        let mark = dir.bytes("blocks.log.prune")
        log.close()
        // Undo the hole: the full log again, with the mark beside it.
        dir.write(logBytes(chain.records), "blocks.log")
        dir.write(mark, "blocks.log.prune")
        let reopened = try openLog(dir.file("blocks.log"))
        #expect(reopened.baseHeight == 8 && reopened.lastHeight == 12)
        #expect(try reopened.record(at: 9).block == chain.records[8].block)
    }

    @Test func theStateIsRebuiltFromASnapshotAboveThePrunedBase() throws {
        let (chain, snaps) = S.chain(blocks: 30, snapshotsAt: [20, 25])
        let dir = TempDir()
        let log = try S.log(chain.records, in: dir)
        try log.prune(through: 20)
        let outcome = try S.rebuild(log, try S.store(dir, snaps))
        #expect(outcome.snapshotHeight == 25 && outcome.state.stateRoot == chain.state.stateRoot)
    }

    @Test func aDamagedMarkIsRefusedWithWhatToDo() throws {
        let chain = Chain.make(blocks: 6)
        let dir = TempDir()
        let log = try S.log(chain.records, in: dir)
        try log.prune(through: 3)
        log.close()
        var mark = dir.bytes("blocks.log.prune")
        mark[20] ^= 1
        dir.write(mark, "blocks.log.prune")
        do {
            _ = try openLog(dir.file("blocks.log"))
            Issue.record("a damaged prune mark was accepted")
        } catch {
            #expect(error.detail.contains("prune mark is damaged") && error.detail.contains("--state-sync"), "\(error)")
        }
    }
}
