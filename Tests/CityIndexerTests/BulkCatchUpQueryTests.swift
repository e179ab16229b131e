import CityChainAPI
import CityLedger
import CityTestSupport
import Testing
@testable import CityIndexer

/// While the indexer catches up with the transactions table's indexes dropped, queries are refused
/// with `unavailable` and a reason, not answered slowly from a bare table.
@Suite struct BulkCatchUpQueryTests {
    @Test func queriesAreRefusedWhileTheIndexesAreDropped() async throws {
        var chain = IndexerChain()
        chain.block([chain.property("parcel-1", owner: "owner 1")])
        let proven = try ProvenState(genesis: F.genesis)
        let ledger = try LedgerApplier(genesis: F.genesis, proven: proven, logger: testLogger)
        await ledger.publish(try await ledger.apply(chain.blocks))
        // Never reached: the refusal comes before any SQL.
        let store = try IndexStore(settings: PostgresSettings(host: "127.0.0.1", port: 1, user: "nobody", password: nil, database: "none", sslMode: .disable),
                               logger: testLogger)
        let status = FollowerStatus()
        let queries = QueryService(store: store, proven: proven, status: status, auditAgency: F.id("audit-office"),
                                   genesisSet: try ValidatorSet(F.genesis.validators), logger: testLogger)
        await status.bulk(true)
        await expectWireError(.unavailable, "indexes dropped") {
            _ = try await queries.record(RecordQuery(dataset: F.property, subject: F.subject("parcel-1"), purpose: "assessment"),
                                         reader: F.id("land-bureau"))
        }
        await expectWireError(.unavailable, "retry later or ask another indexer") {
            _ = try await queries.history(HistoryQuery(dataset: F.property, subject: F.subject("parcel-1"), purpose: "assessment"),
                                          reader: F.id("land-bureau"))
        }
    }
}
