import Testing
@testable import CityIndexer

/// An indexer is ready only when it follows a validator, is caught up with the chain's head, and
/// its proven state keeps up with its index.
@Suite struct IndexerReadinessTests {
    func problem(source: String = "127.0.0.1:7101", indexed: UInt64, chain: UInt64, proven: UInt64, lag: UInt64 = 2) -> String? {
        IndexerReadiness(source: source, indexedHeight: indexed, chainHeight: chain, provenHeight: proven, maxLagBlocks: lag).problem
    }

    @Test func readyOnlyWhenCaughtUp() {
        #expect(problem(source: "", indexed: 0, chain: 0, proven: 0)?.contains("not following") == true)
        #expect(problem(indexed: 120, chain: 10_000, proven: 120)?.contains("catching up: indexed height 120 of 10000") == true)
        #expect(problem(indexed: 10_000, chain: 10_000, proven: 9_000)?.contains("proven state is at height 9000") == true)
        #expect(problem(indexed: 9_998, chain: 10_000, proven: 9_996) == nil, "within 2 blocks of the head, proofs within 2 of the index")
        #expect(problem(indexed: 9_997, chain: 10_000, proven: 9_997)?.contains("catching up") == true)
        #expect(problem(indexed: 9_997, chain: 10_000, proven: 9_997, lag: 3) == nil, "a wider bound from ready.maxLagBlocks")
    }
}
