import CityChainAPI
import CityLedger
import CityPKI
import CityTestSupport
import Synchronization
import Testing
@testable import CityIndexer

/// Many feeds on the same dataset share the indexer's work (docs/FEEDS.md, "How one indexer serves
/// many feeds"): a page is read from PostgreSQL once for all feeds at the same cursor with the same
/// filter, and each change is proven and encoded once — whatever the number of subscribers. Real
/// PostgreSQL, real TLS; every feed still gets every change, in order, verified.
@Suite(.serialized) struct FeedSharingTests {
    final class Shared: Sendable {
        /// Changes each feed reads before it returns.
        let total = Mutex(350)
        /// What each feed got.
        let got: Mutex<[[ProvenTransaction]]>
        init(feeds: Int) { got = Mutex(Array(repeating: [], count: feeds)) }
    }

    /// A chain of `parking` sessions, `perBlock` per block, served as a validator's commit stream.
    static func served(parking: Int, perBlock: Int) async throws -> (ChainHolder, CertificateAuthority, ChainServer) {
        var chain = IndexerChain()
        chain.parkingBlocks(parking, perBlock: perBlock)
        return try await ChainServer.serve(chain)
    }

    @Test(.timeLimit(.minutes(4))) func feedsShareReadsAndProofs() async throws {
        let (holder, ca, validator) = try await Self.served(parking: 300, perBlock: 50)   // heights 1-6
        let db = try await TestPostgres.database().settings
        let indexer = try await TestIndexer(db: db, validators: [validator.address], ca: ca)
        defer { Task { await indexer.stop(); await validator.stop() } }
        try await indexer.waitFor(height: 6)
        let service = indexer.runtime.feeds
        let client = try FeedClient(ca: ca, agency: "parks-department")
        let feeds = 12
        let state = Shared(feeds: feeds)
        
        let run = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for f in 0..<feeds {
                    group.addTask {
                        try await client.feed(port: indexer.port, FeedRequest(datasets: [F.parking], start: .beginning)) { e in
                            if case .change(let p) = e { state.got.withLock { $0[f].append(p) } }
                            if case .end(let end) = e { throw TestFailure("feed \(f) ended: \(end)") }
                            let n = state.total.withLock { $0 }
                            return state.got.withLock { $0[f].count } < n
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        func waitAll(_ n: Int) async throws {
            func counts() -> [Int] { state.got.withLock { $0.map(\.count) } }
            do { try await eventually("every feed at \(n) changes", seconds: 90) { !counts().contains(where: { $0 < n }) } }
            catch is TestFailure { throw TestFailure("feeds got \(counts()), not \(n) each") }
        }

        // Catch-up: 300 changes = 2 pages of 200 below the proven height, the same for all 12 feeds.
        try await waitAll(300)
        #expect(await service.pages.queries == 2, "one query per page for all feeds")
        #expect(await service.provenCache.proved == 300, "each change proven once")

        // Live: one new block wakes every feed at the same cursor.
        _ = await ChainFeeder(holder: holder).commit { c in (300..<350).map { c.parking($0) } }   // 7
        try await waitAll(350)
        #expect(await service.pages.queries < 2 + feeds, "the live page is shared, not read once per feed")
        #expect(await service.provenCache.proved == 350)

        try await run.value
        let expected = (0..<350).map { ChainCursor(height: UInt64($0 / 50 + 1), index: UInt32($0 % 50)) }
        for f in 0..<feeds {
            let changes = state.got.withLock { $0[f] }
            #expect(changes.map(\.cursor) == expected, "feed \(f): every change once, in order")
            for p in changes where p.cursor.index == 0 { try p.verify(validatorSet: genesisSet) }
        }
    }

    /// Stopping an indexer while feeds' shared reads are in flight finishes: the database client
    /// outlives the server and the reads (`withBackground`, `FeedService.settle`). Cancelling both at
    /// once crashed PostgresNIO mid-query or left the server draining forever.
    @Test(.timeLimit(.minutes(4))) func stoppingTheIndexerUnderLiveFeedsFinishes() async throws {
        let (_, ca, validator) = try await Self.served(parking: 2000, perBlock: 100)       // heights 1-20
        defer { Task { await validator.stop() } }
        let client = try FeedClient(ca: ca, agency: "parks-department")
        let db = try await TestPostgres.database().settings
        for round in 0..<4 {
            let indexer = try await TestIndexer(db: db, validators: [validator.address], ca: ca)
            try await indexer.waitFor(height: 20)
            let readers = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            try? await client.feed(port: indexer.port, FeedRequest(datasets: [F.parking], start: .beginning)) { _ in true }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            // Stop while the feeds read their first pages.
            try await Task.sleep(for: .milliseconds(30 + 40 * round))   // the stop point under test (varied per round), not synchronisation
            let done = Flag()
            Task { await indexer.stop(); done.set() }
            _ = try? await eventually("the indexer stopped", seconds: 60) { done.isSet }
            #expect(done.isSet, "round \(round): the indexer did not stop within 60 s under live feeds")
            readers.cancel()
            guard done.isSet else { return }
        }
    }

    final class Flag: Sendable {
        private let value = Mutex(false)
        func set() { value.withLock { $0 = true } }
        var isSet: Bool { value.withLock { $0 } }
    }
}
