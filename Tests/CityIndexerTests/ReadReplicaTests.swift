import CityChainAPI
import CityLedger
import CityTestSupport
import CityWire
import Foundation
import Testing
@testable import CityIndexer

/// Queries answered from a hot-standby replica (`--postgres-read`): a primary and a streaming
/// replica made with pg_basebackup, the writer going on. A replica serves an answer only once it
/// has replayed the answer's height; behind (replay paused) or down, the primary answers; every
/// answer's proofs verify.
@Suite(.serialized) struct ReadReplicaTests {
    @Test(.timeLimit(.minutes(4))) func queriesReadAReplicaOnlyOnceItReplayedTheirHeight() async throws {
        let primary = try TestPostgres.cluster()
        defer { try? primary.stop() }
        let db = try await primary.createDatabase()
        let replica = try primary.startReplica()
        var replicaUp = true
        defer { if replicaUp { try? replica.stop() } }
        let replicaDB = db.on(replica)

        var chain = IndexerChain()
        chain.parkingBlocks(40, perBlock: 10)                                   // heights 1–4: bays 0–39
        let (holder, ca, validator) = try await ChainServer.serve(chain)
        let indexer = try await TestIndexer(db: db.settings, validators: [validator.address], ca: ca, readReplicas: [replicaDB.settings])
        defer { Task { await indexer.stop(); await validator.stop() } }
        let replicas = indexer.runtime.store.replicas
        let set = genesisSet

        /// A record's answer, verified; and the dataset's changes at or after `fromBay`'s block, verified.
        func ask(bay: Int) async throws -> (RecordAnswer, ChangesAnswer) {
            try await indexer.query(as: "parks-department") { c in
                let r = try await c.ask(IndexerAPI.record, RecordQuery(dataset: F.parking, subject: F.subject("bay-\(bay)")), as: RecordAnswer.self)
                try r.verify(dataset: F.parking, subject: F.subject("bay-\(bay)"), validatorSet: set)
                let h = try await c.ask(IndexerAPI.history, HistoryQuery(dataset: F.parking, subject: F.subject("bay-\(bay)")), as: ChangesAnswer.self)
                try h.verify(dataset: F.parking, subject: F.subject("bay-\(bay)"), validatorSet: set)
                #expect(h.items.count == 1)
                return (r, h)
            }
        }

        try await indexer.waitFor(height: 4)
        try await eventually("the replica replayed height 4", seconds: 30) { replicas.heights == [4] }
        var served = replicas.servedReads[0]
        let (first, _) = try await ask(bay: 7)
        #expect(first.at.height == 4 && first.entry?.version == 1)
        #expect(replicas.servedReads[0] > served, "caught up, the replica answers the reads")

        // Replay paused: the writer goes on to height 6; the replica (at 4) must not answer for height 6.
        _ = try replica.psql(replicaDB, "SELECT pg_wal_replay_pause()")
        await holder.edit { c in c.parkingBlocks(20, perBlock: 10, start: 100) }         // heights 5–6: bays 100–119
        try await indexer.waitFor(height: 6)
        served = replicas.servedReads[0]
        let (behind, history) = try await ask(bay: 112)
        #expect(behind.at.height == 6 && behind.entry?.version == 1)
        #expect(history.items.first?.height == 6)
        #expect(replicas.servedReads[0] == served, "a replica behind the answer's height must not answer")
        #expect(replicas.heights == [4])

        // Replay resumed: it catches up and answers again, at the new height.
        _ = try replica.psql(replicaDB, "SELECT pg_wal_replay_resume()")
        try await eventually("the replica replayed height 6", seconds: 30) { replicas.heights == [6] }
        served = replicas.servedReads[0]
        let (again, _) = try await ask(bay: 113)
        #expect(again.at.height == 6)
        #expect(replicas.servedReads[0] > served)

        // The replica down: the primary answers, nothing is refused.
        try replica.stop()
        replicaUp = false
        await holder.edit { c in c.parkingBlocks(10, perBlock: 10, start: 200) }         // height 7: bays 200–209
        try await indexer.waitFor(height: 7)
        let (down, _) = try await ask(bay: 205)
        #expect(down.at.height == 7 && down.entry?.version == 1)
        try await eventually("the replica marked unusable", seconds: 30) { replicas.heights == [nil] }
    }

    /// A replica that was at the height but stops answering (its pool waits for a connection that
    /// never comes, as with a stopped server): the read is abandoned after the read timeout and
    /// answered by the primary, and the replica is marked unusable.
    @Test(.timeLimit(.minutes(2))) func aReplicaThatHangsFallsBackToThePrimary() async throws {
        let db = try await TestPostgres.database()
        var nowhere = db.settings
        nowhere.port = 1
        let store = try IndexStore(settings: db.settings, readReplicas: [nowhere], replicaReadTimeout: .milliseconds(300), logger: testLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.client.run() }               // the replica's pool is never run: its reads wait
            try await store.migrate()
            _ = try await store.openHead(genesis: F.genesis)
            store.replicas.observed(0, height: 10)
            let started = ContinuousClock.now
            #expect(try await store.transaction(TransactionID(.zero), maxHeight: 10) == nil)
            #expect(ContinuousClock.now - started >= .milliseconds(300))
            #expect(store.replicas.heights == [nil], "a replica that failed a read is unusable until its head is read again")
            #expect(store.replicas.servedReads == [0])
            // Unusable: the next read goes straight to the primary.
            let again = ContinuousClock.now
            #expect(try await store.transaction(TransactionID(.zero), maxHeight: 10) == nil)
            #expect(ContinuousClock.now - again < .milliseconds(300))
            group.cancelAll()
        }
    }
}
