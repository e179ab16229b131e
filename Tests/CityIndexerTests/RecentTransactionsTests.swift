import CityChainAPI
import CityLedger
import CityTestSupport
import Testing
@testable import CityIndexer

/// A point query of a recently written record reads no SQL: the writer remembers the rows of the
/// batches PostgreSQL committed (`IndexStore.rememberWritten`), bounded, oldest out first.
@Suite struct RecentTransactionsTests {
    @Test func recentlyWrittenTransactionsAreReadWithoutSQL() async throws {
        var chain = IndexerChain()
        chain.block([chain.parking(0), chain.parking(1)])
        chain.block([chain.parking(2)])
        let proven = try ProvenState(genesis: F.genesis)
        let ledger = try LedgerApplier(genesis: F.genesis, proven: proven, logger: testLogger)
        let applied = try await ledger.apply(chain.blocks)
        // No server behind it, and its pool never runs: a read that reached SQL would hang (the
        // time limit) or fail.
        let store = try IndexStore(settings: PostgresSettings(host: "127.0.0.1", port: 1, user: "nobody", password: nil, database: "none", sslMode: .disable),
                               logger: testLogger)
        store.rememberWritten(IndexPlan(applied))
        let late = chain.blocks[1].block.transactions[0]
        let row = try #require(try await store.transaction(late.id, maxHeight: 2))
        #expect(row.height == 2 && row.index == 0 && row.bytes == late.canonicalBytes)
        #expect(row.dataset == F.parking && row.subject == F.subject("bay-2"))
        // Above the height asked: not there yet, as SQL's `height <= maxHeight` would say.
        #expect(try await store.transaction(late.id, maxHeight: 1) == nil)
        #expect(try await store.transaction(chain.blocks[0].block.transactions[1].id, maxHeight: 1)?.index == 1)
    }

    @Test func theCacheIsBoundedOldestFirst() {
        let cache = BoundedCache<Int, String>(capacity: 3)
        cache.put((1...5).map { ($0, "v\($0)") })
        #expect(cache.count == 3)
        #expect(cache.get(1) == nil && cache.get(2) == nil)
        #expect(cache.get(Set([3, 4, 5, 6])) == [3: "v3", 4: "v4", 5: "v5"])
        cache.put([(4, "again")])                 // already held: replaced, nothing evicted
        #expect(cache.count == 3 && cache.get(4) == "again" && cache.get(3) == "v3")
    }
}
