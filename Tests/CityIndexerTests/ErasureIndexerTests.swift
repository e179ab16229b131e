import CityChainAPI
import CityEncoding
import CityLedger
import CityTestSupport
import CityWire
import Foundation
import Testing
@testable import CityIndexer

/// Issue 18 item 3 at the indexer: the batch that indexes an `eraseRecord` rewrites the record's
/// earlier rows without their payload, and nothing the indexer cached before (its recent rows, a
/// validator's block) serves the payload after; answers prove the erased record and its history.
@Suite(.serialized) struct ErasureIndexerTests {
    @Test(.timeLimit(.minutes(3))) func anErasureReachesTheRowsAndTheCaches() async throws {
        var chain = IndexerChain()
        let visit = chain.medical("patient-9", "allergy: latex")
        chain.block([visit])                     // 1
        chain.block([chain.parking(1)])          // 2
        let ciphertext = try SealedPayload(canonicalBytes: try #require(visit.payloadBytes)).ciphertext
        let (holder, ca, validator) = try await ChainServer.serve(chain)
        let db = try await TestPostgres.database().settings
        let indexer = try await TestIndexer(db: db, validators: [validator.address], ca: ca)
        defer { Task { await indexer.stop(); await validator.stop() } }
        try await indexer.waitFor(height: 2)
        let pg = try TestPostgres.shared.get()
        let hex = Hex.encode(Array(ciphertext.prefix(32)))
        func rowsHolding() throws -> String {
            try pg.psql(TestDatabase(host: "127.0.0.1", port: pg.port, user: TestPostgres.serviceRole, database: db.database),
                        "SELECT count(*) FROM citychain.transactions WHERE position('\\x\(hex)'::bytea in tx) > 0")
        }
        #expect(try rowsHolding() == "1")
        func read() async throws -> TransactionAnswer {
            try await indexer.query(as: "hospital") { c in
                try await c.ask(IndexerAPI.transaction, TransactionQuery(id: visit.id, purpose: "care"), as: TransactionAnswer.self)
            }
        }
        #expect(try await read().item.transaction.payloadBytes == visit.payloadBytes, "read from the recent rows before the erasure")

        await holder.edit { c in
            c.block([c.tx("hospital", .eraseRecord(dataset: F.medical, subject: F.subject("patient-9"), reason: "the patient's request"))])   // 3
        }
        try await indexer.waitFor(height: 3)
        #expect(try rowsHolding() == "0", "the stored transaction was rewritten without its payload")
        let after = try await read()
        try after.verify(id: visit.id, validatorSet: genesisSet)
        #expect(after.item.transaction.payloadErased, "no cache serves the payload after the erasure")
        let record = try await indexer.query(as: "hospital") { c in
            try await c.ask(IndexerAPI.record, RecordQuery(dataset: F.medical, subject: F.subject("patient-9"), purpose: "care"), as: RecordAnswer.self)
        }
        try record.verify(dataset: F.medical, subject: F.subject("patient-9"), validatorSet: genesisSet)
        #expect(record.entry?.erased == true && record.entry?.version == 2 && record.payload == nil)
        let history = try await indexer.query(as: "hospital") { c in
            try await c.ask(IndexerAPI.history, HistoryQuery(dataset: F.medical, subject: F.subject("patient-9"), purpose: "care"), as: ChangesAnswer.self)
        }
        try history.verify(dataset: F.medical, subject: F.subject("patient-9"), validatorSet: genesisSet)
        #expect(history.items.map(\.transaction.body.operation.name) == ["putRecord", "eraseRecord"])
        #expect(history.items[0].transaction.payloadErased && history.items[0].transaction.id == visit.id)
    }
}
