import CityChainAPI
import CityConsensus
import CityLedger
import CityTestSupport
import Dispatch
import Foundation
import Logging
import Synchronization
import Testing
@testable import CityValidator

/// Signing off the actor (issue 13 item 3): records are staged and a sync runs elsewhere; a signed
/// message leaves only once a sync covering its record returned, and a failed sync sends nothing.
@Suite struct SignRecordSyncTests {
    typealias F = MempoolFixture

    /// Syncs that wait until the test opens the gate (or fail), counting those that started.
    final class SyncGate: Sendable {
        let started = Atomic<Int>(0)
        let open = DispatchSemaphore(value: 0)
        let fails: Bool
        init(fails: Bool = false) { self.fails = fails }
        func run(_ sync: FileSync) throws(BlockStoreError) {
            started.add(1, ordering: .relaxed)
            if fails { throw BlockStoreError(.io, path: "test", "the disk failed (test)") }
            open.wait()
            try sync.run()
            open.signal()   // later syncs pass
        }
    }

    static func node(_ gate: SyncGate, hub: GossipHub, dir: String) throws -> ValidatorNode {
        let (_, commands) = AsyncStream<EngineCommand>.makeStream()
        return try ValidatorNode(settings: TestCluster.settings(name: "validator-0"), genesis: F.genesis, dataDirectory: dir,
                                 signer: TestCluster.signer(0), hub: hub, commands: commands, logger: Logger(label: "test.sign-sync"),
                                 clock: { F.genesisTimeMillis + 100 }, runSync: { sync throws(BlockStoreError) in try gate.run(sync) })
    }

    static func proposals(_ items: [GossipItem]) -> Int {
        items.filter { if case .compactProposal = $0 { true } else { false } }.count
    }

    @Test func aProposalLeavesOnlyAfterItsSync() async throws {
        let dir = NSTemporaryDirectory() + "sign-sync-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gate = SyncGate()
        let hub = GossipHub(maxQueuedItems: 100)
        let (_, box) = hub.subscribe()
        let node = try Self.node(gate, hub: hub, dir: dir)
        _ = try await node.submit(F.parking(1), encodedBytes: F.parking(1).encodedSize, signaturesVerified: true)
        await node.maybeStartHeight(force: true)   // validator-0 proposes height 1, round 0
        try await eventually("the proposal's sync to start") { gate.started.load(ordering: .relaxed) > 0 }
        #expect(Self.proposals(box.take().items) == 0, "signed, staged, not yet durable: nothing sent")
        gate.open.signal()
        var sent: [GossipItem] = []
        try await eventually("the proposal to be sent once its sync returned") {
            sent += box.take().items
            return Self.proposals(sent) == 1
        }
        #expect(await node.durableSignSequence >= 2, "the start record and the proposal's (and its prevote's) are durable")
        await node.close()
    }

    @Test func aFailedSyncSendsNothingAndHalts() async throws {
        let dir = NSTemporaryDirectory() + "sign-sync-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gate = SyncGate(fails: true)
        let hub = GossipHub(maxQueuedItems: 100)
        let (_, box) = hub.subscribe()
        let node = try Self.node(gate, hub: hub, dir: dir)
        _ = try await node.submit(F.parking(1), encodedBytes: F.parking(1).encodedSize, signaturesVerified: true)
        await node.maybeStartHeight(force: true)
        try await eventually("the node to halt on the failed sync") { await node.halted != nil }
        #expect(await node.halted?.contains("could not sync the consensus sign record") == true)
        let items = box.take().items
        #expect(Self.proposals(items) == 0 && !items.contains { if case .vote = $0 { true } else { false } },
                "a message whose record never became durable is never sent")
        await node.close()
    }
}
