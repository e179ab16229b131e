import CityChainAPI
import CityConsensus
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import Logging
import ServiceLifecycle
import Testing
@testable import CityIndexer
@testable import CityValidator

/// Issue 18 item 1 for indexers: a new indexer with `--state-sync` starts from a validator's
/// snapshot (a real validator runtime in this process, snapshotting every 5 blocks) instead of
/// block 1: its proven state and small tables come from the snapshot, it indexes from there on,
/// a record written before the snapshot is answered with its transaction fetched from the
/// validator (proof verified), and a restart rebuilds the state from the snapshot it kept.
@Suite(.serialized) struct IndexerStateSyncTests {
    @Test(.timeLimit(.minutes(3))) func aNewIndexerStartsFromASnapshotAndAnswersProven() async throws {
        let ca = try CertificateAuthority.create()
        let solo = try await SoloValidator(ca: ca, snapshotEveryBlocks: 5)
        defer { Task { await solo.stop() } }
        let runtime = solo.runtime, vport = solo.port
        let validator = HostPort(host: "127.0.0.1", port: vport)

        let agency = try WireClient(tls: TLSSetup.client(TLSIdentity(issued: ca.issue(role: .agency("traffic-bureau"), name: "traffic-bureau"))),
                                    logger: testLogger)
        var builder = IndexerChain()
        func submit(_ tx: SignedTransaction) async throws {
            let status = try await agency.withConnection(host: "127.0.0.1", port: vport, expecting: .validator) { c in
                try SubmitResponse(canonicalBytes: try await c.request(ValidatorAPI.submit, SubmitRequest(transaction: tx, waitMillis: 10_000).canonicalBytes,
                                                                       timeout: .seconds(20))).status
            }
            guard case .committed = status else { throw TestFailure("transaction not committed: \(status)") }
        }
        // What the validator offers to nodes that state-sync (asked as an indexer, like the indexer does).
        let asIndexer = try WireClient(tls: TLSSetup.client(TLSIdentity(issued: ca.issue(role: .indexer, name: "indexer-probe"))), logger: testLogger)
        func offered() async throws -> [UInt64] {
            try await asIndexer.withConnection(host: "127.0.0.1", port: vport, expecting: .validator) { c in
                try SnapshotOffers(canonicalBytes: try await c.request(ValidatorAPI.snapshots, [])).offers.map(\.height)
            }
        }
        // A property record early, then parking sessions until the validator offers a snapshot.
        try await submit(builder.property("parcel-1", owner: "Ana Silva"))
        var n = 0
        while try await offered().isEmpty, n < 60 {   // bounded: about one block per transaction
            try await submit(builder.parking(n))
            n += 1
        }
        let base = try #require(try await offered().max(), "the validator offers no snapshot")

        let db = try await TestPostgres.database().settings
        let indexer = try await TestIndexer(db: db, validators: [validator], ca: ca, genesis: F.soloGenesis, stateSync: .genesis)
        try await indexer.waitFor(height: base)
        #expect(await indexer.runtime.proven.baseHeight == base)
        // Records written after the snapshot are indexed as usual.
        try await submit(builder.property("parcel-2", owner: "Rui Costa"))
        let head = await runtime.engine.node.height
        try await indexer.waitFor(height: head)
        let pg = try TestPostgres.shared.get()
        #expect(try pg.psql(db, "SELECT count(*) FROM citychain.transactions WHERE height <= \(base)") == "0", "nothing before the snapshot is in the index")
        #expect(try pg.psql(db, "SELECT count(*) > 0 FROM citychain.transactions") == "t")
        #expect(try pg.psql(db, "SELECT count(*) FROM citychain.datasets") == "3", "the datasets came from the snapshot's state")
        #expect(try pg.psql(db, "SELECT height FROM citychain.index_head") == "\(head)")
        #expect(try pg.psql(db, "SELECT count(*) >= 2 FROM citychain.state_base") == "t", "the snapshot and its block are kept")
        #expect(base >= 5 && base < head)

        let set = try ValidatorSet(F.soloGenesis.validators)
        func parcel(_ subject: String, from indexer: TestIndexer) async throws -> RecordAnswer {
            let a = try await indexer.query(as: "land-bureau") { c in
                try await c.ask(IndexerAPI.record, RecordQuery(dataset: F.property, subject: F.subject(subject), purpose: "registry audit"),
                                as: RecordAnswer.self)
            }
            try a.verify(dataset: F.property, subject: F.subject(subject), validatorSet: set)
            return a
        }
        // Written before the snapshot: proven from the state, its transaction fetched from the validator.
        let old = try await parcel("parcel-1", from: indexer)
        #expect(String(decoding: old.payload ?? [], as: UTF8.self).contains("Ana Silva"))
        #expect((old.current?.height ?? 0) <= base)
        let new = try await parcel("parcel-2", from: indexer)
        #expect(String(decoding: new.payload ?? [], as: UTF8.self).contains("Rui Costa"))

        // A restart rebuilds the proven state from the kept snapshot, not from genesis (which this index could not replay).
        await indexer.stop()
        let again = try await TestIndexer(db: db, validators: [validator], ca: ca, genesis: F.soloGenesis, stateSync: .genesis)
        defer { Task { await again.stop() } }
        try await again.waitFor(height: head)
        _ = try await parcel("parcel-1", from: again)
        _ = try await parcel("parcel-2", from: again)
    }
}
