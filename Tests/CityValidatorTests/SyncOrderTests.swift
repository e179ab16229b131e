import CityConsensus
import CityLedger
import CityWire
import Foundation
import Logging
import Testing
@testable import CityValidator

/// Which peer a catching-up validator asks for blocks first. deploy/chaos found a validator healed
/// from a partition asking a peer that had just been cut off: 10 s of connect timeout while the
/// chain needed its vote for a quorum (an 11 s stall). Peers heard from lately, ahead of us, come
/// first now. Deterministic: a manual monotonic clock and gossip fed by hand.
@Suite struct SyncOrderTests {
    @Test func peersHeardFromLatelyAndAheadAreAskedFirst() async throws {
        let dir = NSTemporaryDirectory() + "sync-order-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (_, commands) = AsyncStream<EngineCommand>.makeStream()
        let (clock, time) = MonotonicClock.manual()
        let settings = TestCluster.settings(name: "validator-0")
        let node = try ValidatorNode(settings: settings, genesis: MempoolFixture.genesis, dataDirectory: dir,
                                     signer: TestCluster.signer(0), hub: GossipHub(maxQueuedItems: 100), commands: commands,
                                     logger: Logger(label: "test.sync-order"), monotonic: clock)
        let peers = ["cut:1", "fresh-old:2", "behind:3", "fresh-new:4", "silent:5"]
        // At t = 0 every peer but "silent" announces; "behind" is at our height (0), the rest ahead.
        await node.receive([.height(7)], from: "cut:1", preverified: [true])
        await node.receive([.height(0)], from: "behind:3", preverified: [true])
        time.advance(by: .milliseconds(3 * Int64(settings.announceMillis)))
        // Three announcement periods later "cut" has gone quiet; the two fresh ones speak now.
        await node.receive([.height(5)], from: "fresh-old:2", preverified: [true])
        time.advance(by: .milliseconds(10))
        await node.receive([.height(6)], from: "fresh-new:4", preverified: [true])
        time.advance(by: .milliseconds(1))
        for _ in 0..<20 {
            let order = await node.syncOrder(peers)
            #expect(Array(order.prefix(2)) == ["fresh-new:4", "fresh-old:2"], "freshest first; got \(order)")
            #expect(Set(order.suffix(3)) == ["cut:1", "behind:3", "silent:5"], "the rest after them; got \(order)")
        }
        await node.close()
    }
}

/// A gossip stream that has gone silent is taken for dead (deploy/chaos: after a partition healed,
/// the old TCP connections stayed stuck in retransmission backoff for ~6 s while the validator
/// counted them as connected). Deterministic: a manual clock, advanced by the test.
@Suite struct GossipSilenceTests {
    @Test func aStreamSilentForThreeAnnouncementsIsDropped() async throws {
        let (clock, time) = MonotonicClock.manual()
        let limit = ValidatorEngine.silenceLimit(announceMillis: 1000)
        #expect(limit == .seconds(3))
        #expect(ValidatorEngine.silenceLimit(announceMillis: 100) == .seconds(3), "never under 3 s")
        let heard = LastHeard(clock.now)
        let watch = Task { try await ValidatorEngine.watchSilence(heard, limit: limit, clock: clock) }
        // Items keep arriving every second for 10 s: the watch stays quiet.
        for _ in 0..<10 {
            try await time.untilSleepers(atLeast: 1)
            time.advance(by: .seconds(1))
            heard.mark(clock.now)
        }
        // Then nothing: after 3 s of silence (checked every 750 ms) it throws.
        var advanced = Duration.zero
        while advanced < .seconds(5) {
            try await time.untilSleepers(atLeast: 1)
            time.advance(by: .milliseconds(750))
            advanced += .milliseconds(750)
            if advanced >= .seconds(3) { break }
        }
        do {
            try await watch.value
            Issue.record("the watch returned although the stream was silent")
        } catch let e as PeerSilent {
            #expect(e.quiet >= .seconds(3))
            #expect("\(e)".contains("dialled again"))
        }
    }
}
