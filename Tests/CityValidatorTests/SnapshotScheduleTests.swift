import CityTestSupport
import Foundation
import Logging
import Testing
@testable import CityValidator

/// Validators snapshot at different heights (issue 13: four snapshots at once stalled the chain).
@Suite struct SnapshotScheduleTests {
    @Test func eachValidatorSnapshotsOncePerIntervalAtItsOwnHeight() async throws {
        var heights: [UInt64] = []
        for i in 0..<4 {
            let dir = NSTemporaryDirectory() + "snap-schedule-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let (_, commands) = AsyncStream<EngineCommand>.makeStream()
            let node = try ValidatorNode(settings: TestCluster.settings(name: "validator-\(i)"), genesis: MempoolFixture.genesis,
                                         dataDirectory: dir, signer: TestCluster.signer(i), hub: GossipHub(maxQueuedItems: 10),
                                         commands: commands, logger: Logger(label: "test.snapshots"))
            let every = await node.settings.snapshotEveryBlocks
            #expect(every == 1000)
            var due: [UInt64] = []
            for h in UInt64(1)...3 * every where await node.snapshotDue(at: h) { due.append(h) }
            #expect(due.count == 2 || due.count == 3, "one per interval from the first: \(due)")
            #expect(due.allSatisfy { $0 >= every }, "none before the first interval has passed")
            #expect(zip(due, due.dropFirst()).allSatisfy { $1 - $0 == every }, "evenly spaced: \(due)")
            heights.append(due[0])
            await node.close()
        }
        #expect(Set(heights).count == 4, "four validators, four different heights: \(heights)")
    }
}
