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

/// The indexer against a real validator (the `citychain-validator` runtime, in this process, alone
/// in its validator set): transactions submitted to it are indexed, proven, and the audit anchor
/// the indexer submits commits through it.
@Suite(.serialized) struct RealValidatorTests {
    @Test(.timeLimit(.minutes(3))) func indexesWhatARealValidatorCommitsAndAnchorsThroughIt() async throws {
        let ca = try CertificateAuthority.create()
        let solo = try await SoloValidator(ca: ca)
        defer { Task { await solo.stop() } }
        let runtime = solo.runtime, vport = solo.port

        // 30 parking sessions and a property record, each waited for finality.
        let agency = try WireClient(tls: TLSSetup.client(TLSIdentity(issued: ca.issue(role: .agency("traffic-bureau"), name: "traffic-bureau"))),
                                    logger: testLogger)
        var builder = IndexerChain()
        var ids: [TransactionID] = []
        for i in 0..<31 {
            let tx = i < 30 ? builder.parking(i) : builder.property("parcel-9", owner: "Chen Wei")
            let status = try await agency.withConnection(host: "127.0.0.1", port: vport, expecting: .validator) { c in
                try SubmitResponse(canonicalBytes: try await c.request(ValidatorAPI.submit, SubmitRequest(transaction: tx, waitMillis: 10_000).canonicalBytes,
                                                                       timeout: .seconds(20))).status
            }
            guard case .committed = status else { Issue.record("transaction \(i) not committed: \(status)"); return }
            ids.append(tx.id)
        }
        let height = await runtime.engine.node.height

        let db = try await TestPostgres.database().settings
        let indexer = try await TestIndexer(db: db, validators: [HostPort(host: "127.0.0.1", port: vport)], ca: ca, anchor: true,
                                            genesis: F.soloGenesis)
        defer { Task { await indexer.stop() } }
        try await indexer.waitFor(height: height)
        let set = try ValidatorSet(F.soloGenesis.validators)
        let pg = try TestPostgres.shared.get()
        #expect(try pg.psql(db, "SELECT count(*) FROM citychain.transactions") == "31")

        // Every transaction is there, proven against the real validator's certificates.
        for id in [ids[0], ids[17], ids[30]] {
            let reader = id == ids[30] ? "land-bureau" : "parks-department"
            let a = try await indexer.query(as: reader) { c in
                try await c.ask(IndexerAPI.transaction, TransactionQuery(id: id, purpose: "check"), as: TransactionAnswer.self)
            }
            try a.verify(id: id, validatorSet: set)
        }
        // The owner's read of its internal record is disclosed; the anchor goes through the real validator.
        let parcel = try await indexer.query(as: "land-bureau") { c in
            try await c.ask(IndexerAPI.record, RecordQuery(dataset: F.property, subject: F.subject("parcel-9"), purpose: "registry audit"),
                            as: RecordAnswer.self)
        }
        try parcel.verify(dataset: F.property, subject: F.subject("parcel-9"), validatorSet: set)
        let anchor = try #require(try await indexer.runtime.anchorer!.cycle(now: UInt64(Date().timeIntervalSince1970 * 1000) + 10_000))
        #expect(anchor.recordCount == 2)  // the transaction read of parcel-9 above and this record read
        try await indexer.waitFor(height: anchor.height)
        let trail = try await indexer.query(as: "land-bureau") { c in
            try await c.ask(IndexerAPI.audit, AuditQuery(dataset: F.property, subject: F.subject("parcel-9")), as: AuditAnswer.self)
        }
        #expect(try trail.verify(dataset: F.property, subject: F.subject("parcel-9"), validatorSet: set) == 2)

        // An indexer certificate may submit its anchors, nothing else.
        let asIndexer = try WireClient(tls: TLSSetup.client(TLSIdentity(issued: ca.issue(role: .indexer, name: "indexer-x"))), logger: testLogger)
        let other = builder.parking(999)
        await #expect(throws: WireError.self) {
            try await asIndexer.withConnection(host: "127.0.0.1", port: vport, expecting: .validator) { c in
                _ = try await c.request(ValidatorAPI.submit, SubmitRequest(transaction: other).canonicalBytes)
            }
        }
    }
}
