import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import Testing
@testable import CityIndexer

/// Feeds from real `citychain-indexer` processes on real PostgreSQL, following a chain served over
/// the wire (`ChainServer`) while it grows: a subscriber cut off at random points, indexers killed
/// with SIGKILL and restarted under a live feed (and failed over to a second indexer). Each ends
/// with exactly the matching changes, in chain order, each once, every one verifying.
@Suite(.serialized) struct FeedProcessTests {
    static let zoneB: @Sendable ([String: Any]) -> Bool = { $0["zone"] as? String == "B" }

    static func check(_ log: FeedLog, expected: [ChainCursor]) throws {
        let set = genesisSet
        let same = log.changes.map(\.cursor) == expected
        #expect(same, "got \(log.changes.count) changes, expected \(expected.count)")
        #expect(Set(log.changes.map(\.transaction.id)).count == log.changes.count, "a change was delivered twice")
        var verified = VerifiedHeaders()
        for p in log.changes { try verified.verify(p, validatorSet: set) }
    }

    @Test(.timeLimit(.minutes(8))) func subscriberCutOffAtRandomPointsGetsEveryChangeOnce() async throws {
        var chain = IndexerChain()
        chain.parkingBlocks(200, perBlock: 20)
        let (holder, ca, validator) = try await ChainServer.serve(chain)
        let files = try ProcessFiles(ca: ca)
        defer { files.remove() }
        let db = try await TestPostgres.database().settings
        let indexer = try IndexerProcess(files: files, name: "indexer-feed-1", db: db, validator: validator.address)
        try indexer.start()
        defer { indexer.stop(); Task { await validator.stop() } }
        let client = try FeedClient(ca: ca, agency: "parks-department")
        try await client.waitFor(port: indexer.port, height: chain.height)

        // 5,000 transactions committed (250 blocks of 20) while the subscriber is cut off after a
        // random number of events, again and again, from the beginning of the chain.
        let feeder = ChainFeeder(holder: holder)
        let final = chain.height + 250
        let request = FeedRequest(datasets: [F.parking], predicates: [FieldPredicate(text: #"zone="B""#)!], start: .beginning)
        async let fed: Void = feeder.feed(blocks: 250, perBlock: 20, pause: .milliseconds(20))
        let (log, tracker) = await followResuming(client, ports: [indexer.port], request: request,
                                                  disconnectAfter: { Int.random(in: 5...60) },
                                                  done: { ($0.cursor ?? .start) >= .endOf(height: final) })
        try await fed
        #expect(log.reconnects >= 20, "only \(log.reconnects) disconnects")
        #expect(tracker.cursor.map { $0 >= .endOf(height: final) } == true, "stopped at \(String(describing: tracker.cursor)); errors \(log.errors.suffix(3))")
        try Self.check(log, expected: expectedCursors(await holder.snapshot, F.parking, keep: Self.zoneB))
        print("feed: \(log.changes.count) changes over \(log.reconnects) disconnects")
    }

    @Test(.timeLimit(.minutes(8))) func indexersKilledUnderALiveFeedResumeWithNoGapNoDuplicate() async throws {
        var chain = IndexerChain()
        chain.parkingBlocks(100, perBlock: 20)
        let (holder, ca, validator) = try await ChainServer.serve(chain)
        let files = try ProcessFiles(ca: ca)
        defer { files.remove() }
        let a = try IndexerProcess(files: files, name: "indexer-a", db: try await TestPostgres.database().settings, validator: validator.address)
        let b = try IndexerProcess(files: files, name: "indexer-b", db: try await TestPostgres.database().settings, validator: validator.address)
        try a.start()
        try b.start()
        defer { a.stop(); b.stop(); Task { await validator.stop() } }
        let client = try FeedClient(ca: ca, agency: "parks-department")
        try await client.waitFor(port: a.port, height: chain.height)
        try await client.waitFor(port: b.port, height: chain.height)

        let feeder = ChainFeeder(holder: holder)
        let final = chain.height + 200
        let request = FeedRequest(datasets: [F.parking], start: .beginning)
        async let fed: Void = feeder.feed(blocks: 200, perBlock: 20, pause: .milliseconds(40))
        @Sendable func killer() async throws -> Int {
            // SIGKILL one indexer, then the other, restarting each (same port, same database).
            var kills = 0
            for round in 0..<6 {
                try await Task.sleep(for: .milliseconds(Int64.random(in: 700...1400)))   // the kill point under test, not synchronisation
                let victim = round % 2 == 0 ? a : b
                victim.kill9()
                kills += 1
                try await Task.sleep(for: .milliseconds(Int64.random(in: 300...900)))   // the time it stays down, not synchronisation
                try victim.start()
            }
            return kills
        }
        async let killed = killer()
        let (log, tracker) = await followResuming(client, ports: [a.port, b.port], request: request,
                                                  done: { ($0.cursor ?? .start) >= .endOf(height: final) })
        try await fed
        let kills = try await killed
        #expect(kills == 6)
        #expect(log.reconnects >= 2, "the kills never cut the feed: \(log.reconnects) reconnects")
        #expect(tracker.cursor.map { $0 >= .endOf(height: final) } == true, "stopped at \(String(describing: tracker.cursor)); errors \(log.errors.suffix(3))")
        try Self.check(log, expected: expectedCursors(await holder.snapshot, F.parking))
        print("feed: \(log.changes.count) changes across \(kills) kill -9s, \(log.reconnects) reconnects")
    }
}
