import CityConsensus
import CityLedger
import Foundation
import Logging
import Synchronization
import Testing
@testable import CityValidator

/// When an idle validator starts its next height. After a commit with nothing pending, the node's
/// next check is up to 1 s away (the heartbeat's wait, capped); a transaction admitted meanwhile
/// must get a check at once, not wait for that one — that wait cost ~1 s on every commit of an
/// idle chain (issue 5's note). Deterministic: a fixed clock and the node's command stream.
@Suite struct GateTimingTests {
    final class FixedClock: Sendable {
        let now = Mutex<UInt64>(MempoolFixture.genesisTimeMillis + 100)
        func read() -> UInt64 { now.withLock { $0 } }
    }

    /// The gate timers the node asked for, in order.
    static func gateTimers(_ stream: AsyncStream<EngineCommand>) async -> [UInt64] {
        var waits: [UInt64] = []
        for await command in stream { if case .timer(.gate, let ms) = command { waits.append(ms) } }
        return waits
    }

    @Test func aTransactionOnAnIdleNodeGetsAGateCheckAtOnce() async throws {
        let dir = NSTemporaryDirectory() + "gate-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (stream, commands) = AsyncStream<EngineCommand>.makeStream()
        let clock = FixedClock()
        let node = try ValidatorNode(settings: TestCluster.settings(name: "validator-0"), genesis: MempoolFixture.genesis, dataDirectory: dir,
                                     signer: TestCluster.signer(0), hub: GossipHub(maxQueuedItems: 100), commands: commands,
                                     logger: Logger(label: "test.gate"), clock: { clock.read() })
        // Idle: 100 ms after the last block, heartbeat 1 s → the next check in 900 ms.
        await node.maybeStartHeight()
        // A transaction arrives: a check in 1 ms beside the pending one (which still fires, harmlessly).
        let status = try await node.submit(MempoolFixture.parking(1), encodedBytes: MempoolFixture.parking(1).canonicalBytes.count, signaturesVerified: true)
        #expect(status == .pending)
        // Another one before that check fires: no third timer (one is already due soon enough).
        _ = try await node.submit(MempoolFixture.parking(2), encodedBytes: MempoolFixture.parking(2).canonicalBytes.count, signaturesVerified: true)
        commands.finish()
        let waits = await Self.gateTimers(stream)
        #expect(waits == [900, 1], "the idle check, then an immediate one for the transaction; got \(waits)")
        await node.close()
    }
}
