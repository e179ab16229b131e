import CityChainAPI
import CityEncoding
import CityLedger
import CityMerkle
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import Testing
@testable import CityIndexer

/// Queries over the wire against a real PostgreSQL: proofs that verify (and fail once tampered),
/// access by the agency in the certificate, the audit trail and its anchors, SQL metacharacters,
/// and the analysts' row-level security.
@Suite(.serialized) struct IndexerQueryTests {
    @Test(.timeLimit(.minutes(4))) func queriesProofsAccessAndAudit() async throws {
        var chain = IndexerChain()
        chain.parkingBlocks(60, perBlock: 20)                                   // heights 1–3
        let parcelTx = chain.property("parcel-17", owner: "Ana Silva")
        let visitTx = chain.medical("patient-1", "allergy: penicillin")
        chain.block([parcelTx, chain.property("parcel-18", owner: "Ben Okafor"), visitTx,
                     chain.grant(F.property, to: "tax-office", by: "land-bureau", expires: 1000),
                     chain.grant(F.medical, to: "ambulance-service", by: "hospital", expires: 7)])   // 4
        chain.block([chain.medical("patient-1", "allergy: penicillin; asthma")])                   // 5
        let (holder, ca, validator) = try await ChainServer.serve(chain)
        let db = try await TestPostgres.database().settings
        let pg = try TestPostgres.shared.get()
        let indexer = try await TestIndexer(db: db, validators: [validator.address], ca: ca, anchor: true)
        defer { Task { await indexer.stop(); await validator.stop() } }
        try await indexer.waitFor(height: 5)
        let set = genesisSet

        // Current value of a public record, with its state proof; tampering breaks it.
        let bay = try await indexer.query(as: "parks-department") { c in
            try await c.ask(IndexerAPI.record, RecordQuery(dataset: F.parking, subject: F.subject("bay-3")), as: RecordAnswer.self)
        }
        try bay.verify(dataset: F.parking, subject: F.subject("bay-3"), validatorSet: set)
        #expect(bay.at.height == 5)
        #expect(bay.entry?.version == 1)
        #expect(String(decoding: bay.payload ?? [], as: UTF8.self).contains("\"zone\""))
        var forged = bay
        forged.entry?.version = 2
        #expect(throws: ProofFailure.self) { try forged.verify(dataset: F.parking, subject: F.subject("bay-3"), validatorSet: set) }
        var otherPayload = bay
        if var p = otherPayload.current?.transaction.payloadBytes {
            p[0] ^= 1
            otherPayload.current?.transaction.payload = .present(p)
        }
        #expect(throws: ProofFailure.self) { try otherPayload.verify(dataset: F.parking, subject: F.subject("bay-3"), validatorSet: set) }
        #expect(throws: ProofFailure.self) { try bay.verify(dataset: F.parking, subject: F.subject("bay-4"), validatorSet: set) }

        // What `citychain query --save` writes, `citychain verify` checks offline; one flipped byte fails it.
        let q3 = RecordQuery(dataset: F.parking, subject: F.subject("bay-3"))
        let raw = try await indexer.query(as: "parks-department") { c in try await c.request(IndexerAPI.record, q3.canonicalBytes) }
        let saved = try SavedAnswer(canonicalBytes: SavedAnswer(kind: IndexerAPI.record, query: q3.canonicalBytes, answer: raw).canonicalBytes)
        #expect(try saved.verify(validatorSet: set).contains("version 1"))
        var flipped = saved
        flipped.answer[flipped.answer.count - 40] ^= 0x01
        #expect(throws: (any Error).self) { try flipped.verify(validatorSet: set) }

        // Absence is proven too.
        let none = try await indexer.query(as: "parks-department") { c in
            try await c.ask(IndexerAPI.record, RecordQuery(dataset: F.parking, subject: F.subject("bay-9999")), as: RecordAnswer.self)
        }
        #expect(none.entry == nil)
        try none.verify(dataset: F.parking, subject: F.subject("bay-9999"), validatorSet: set)
        #expect(throws: ProofFailure.self) { try none.verify(dataset: F.parking, subject: F.subject("bay-3"), validatorSet: set) }

        // Dataset query with JSON predicates and keyset pagination, checked against the chain.
        let expected = chain.blocks.flatMap { cb in cb.block.transactions.compactMap { tx -> TransactionID? in
            guard case let .putRecord(d, _, _) = tx.body.operation, d == F.parking, let p = tx.payloadBytes,
                  let o = try? JSONSerialization.jsonObject(with: Data(p)) as? [String: Any],
                  o["zone"] as? String == "B", (o["minutes"] as? Int ?? 0) >= 60 else { return nil }
            return tx.id
        } }
        var got: [TransactionID] = []
        var after = ChainCursor.start
        var pages = 0
        while pages < 50 {
            let page = try await indexer.query(as: "parks-department") { c in
                try await c.ask(IndexerAPI.dataset, DatasetQuery(dataset: F.parking, after: after, predicates: [
                    FieldPredicate(text: #"zone="B""#)!, FieldPredicate(text: "minutes>=60")!], limit: 3), as: ChangesAnswer.self)
            }
            try page.verify(dataset: F.parking, validatorSet: set)
            got += page.items.map(\.transaction.id)
            pages += 1
            guard page.more, let last = page.items.last else { break }
            after = last.cursor
        }
        #expect(!expected.isEmpty)
        #expect(got == expected)
        #expect(pages > 1)
        // Time range (block 2's time only) and writer filters.
        let t2 = 1_700_000_000_000 + 2 * 1000 as UInt64
        let inBlock2 = try await indexer.query(as: "parks-department") { c in
            try await c.ask(IndexerAPI.dataset, DatasetQuery(dataset: F.parking, fromTimeMillis: t2, toTimeMillis: t2 + 1000, limit: 100),
                            as: ChangesAnswer.self)
        }
        try inBlock2.verify(dataset: F.parking, validatorSet: set)
        #expect(inBlock2.items.count == 20 && inBlock2.items.allSatisfy { $0.height == 2 })
        let byOther = try await indexer.query(as: "parks-department") { c in
            try await c.ask(IndexerAPI.dataset, DatasetQuery(dataset: F.parking, writer: F.id("land-bureau")), as: ChangesAnswer.self)
        }
        #expect(byOther.items.isEmpty)
        let byTraffic = try await indexer.query(as: "parks-department") { c in
            try await c.ask(IndexerAPI.dataset, DatasetQuery(dataset: F.parking, writer: F.id("traffic-bureau"), limit: 500), as: ChangesAnswer.self)
        }
        #expect(byTraffic.items.count == 60)

        // Internal data: the grant holder reads it with a purpose; others are denied; no purpose is refused.
        let history = try await indexer.query(as: "tax-office") { c in
            try await c.ask(IndexerAPI.history, HistoryQuery(dataset: F.property, subject: F.subject("parcel-17"), purpose: "tax assessment"),
                            as: ChangesAnswer.self)
        }
        try history.verify(dataset: F.property, subject: F.subject("parcel-17"), validatorSet: set)
        #expect(history.items.map(\.transaction.id) == [parcelTx.id])
        await expectWireError(.forbidden, "no grant") {
            _ = try await indexer.query(as: "parks-department") { c in
                try await c.ask(IndexerAPI.record, RecordQuery(dataset: F.property, subject: F.subject("parcel-17"), purpose: "curious"),
                                as: RecordAnswer.self)
            }
        }
        await expectWireError(.invalidRequest, "purpose") {
            _ = try await indexer.query(as: "tax-office") { c in
                try await c.ask(IndexerAPI.record, RecordQuery(dataset: F.property, subject: F.subject("parcel-17")), as: RecordAnswer.self)
            }
        }
        // Every query kind refuses a reader without a grant.
        let denied: [(String, @Sendable (WireConnection) async throws -> Void)] = [
            ("no grant", { c in _ = try await c.request(IndexerAPI.record, RecordQuery(dataset: F.medical, subject: F.subject("patient-1"), purpose: "x").canonicalBytes) }),
            ("no grant", { c in _ = try await c.request(IndexerAPI.history, HistoryQuery(dataset: F.medical, subject: F.subject("patient-1"), purpose: "x").canonicalBytes) }),
            ("no grant", { c in _ = try await c.request(IndexerAPI.dataset, DatasetQuery(dataset: F.medical, purpose: "x").canonicalBytes) }),
            ("no grant", { c in _ = try await c.request(IndexerAPI.transaction, TransactionQuery(id: visitTx.id, purpose: "x").canonicalBytes) }),
            ("neither", { c in _ = try await c.request(IndexerAPI.audit, AuditQuery(dataset: F.medical, subject: F.subject("patient-1")).canonicalBytes) }),
        ]
        for (fragment, body) in denied {
            await expectWireError(.forbidden, fragment) { try await indexer.query(as: "tax-office", body) }
        }

        // A block as an agency without grants sees the internal and restricted entries withheld, and it still verifies.
        let block4 = try await indexer.query(as: "parks-department") { c in
            try await c.ask(IndexerAPI.block, BlockQuery(height: 4), as: BlockAnswer.self)
        }
        try block4.verify(height: 4, validatorSet: set)
        // Two property records, the sealed visit and the two grants (they name their datasets) are withheld.
        #expect(block4.entries.filter { if case .withheld = $0 { true } else { false } }.count == 5)

        // Restricted: the grantee reads the sealed record (ciphertext only) and opens it with its key.
        let visit = try await indexer.query(as: "ambulance-service") { c in
            try await c.ask(IndexerAPI.record, RecordQuery(dataset: F.medical, subject: F.subject("patient-1"), purpose: "emergency call 4411"),
                            as: RecordAnswer.self)
        }
        try visit.verify(dataset: F.medical, subject: F.subject("patient-1"), validatorSet: set)
        let sealed = try SealedPayload(canonicalBytes: visit.payload ?? [])
        #expect(String(decoding: try sealed.open(as: F.id("ambulance-service"), keyID: 2, privateKey: F.sealKey("ambulance-service")), as: UTF8.self)
                == "allergy: penicillin; asthma")
        #expect(try pg.psql(db, "SELECT count(*) FROM citychain.transactions WHERE dataset = 'medical.records' AND position('penicillin' in encode(tx, 'escape')) > 0") == "0")

        // Each permitted internal/restricted read left a disclosure record; anchor them and check the trail.
        #expect(try pg.psql(db, "SELECT count(*) FROM citychain.disclosures WHERE reader = 'ambulance-service' AND subject = 'patient-1' AND purpose = 'emergency call 4411'") == "1")
        #expect(try pg.psql(db, "SELECT count(*) FROM citychain.disclosures WHERE reader = 'tax-office' AND dataset = 'property.registry'") == "1")
        let anchored = try await indexer.runtime.anchorer!.cycle(now: UInt64(Date().timeIntervalSince1970 * 1000) + 10_000)
        let entry = try #require(anchored)
        let trail = try await indexer.query(as: "hospital") { c in
            try await c.ask(IndexerAPI.audit, AuditQuery(dataset: F.medical, subject: F.subject("patient-1")), as: AuditAnswer.self)
        }
        #expect(try trail.verify(dataset: F.medical, subject: F.subject("patient-1"), validatorSet: set) == trail.items.count)
        #expect(trail.items.map(\.record.reader) == [F.id("ambulance-service")])
        let batch = try await indexer.runtime.store.anchoredBatch(first: entry.firstSequence)
        #expect(MerkleTree.root(leaves: batch.map(\.canonicalBytes)) == entry.merkleRoot)
        #expect(UInt64(batch.count) == entry.recordCount)
        // Editing the trail after anchoring is caught by the proof.
        _ = try pg.psql(db, "UPDATE citychain.disclosures SET purpose = 'routine' WHERE subject = 'patient-1'")
        let edited = try await indexer.query(as: "hospital") { c in
            try await c.ask(IndexerAPI.audit, AuditQuery(dataset: F.medical, subject: F.subject("patient-1")), as: AuditAnswer.self)
        }
        #expect(throws: ProofFailure.self) { try edited.verify(dataset: F.medical, subject: F.subject("patient-1"), validatorSet: set) }

        // The ambulance service's grant ends at height 7: from height 8 its reads are denied.
        await holder.edit { c in for i in 0..<3 { c.block([c.parking(5000 + i)]) } }
        try await indexer.waitFor(height: 8)
        await expectWireError(.forbidden, "expired at height 7") {
            _ = try await indexer.query(as: "ambulance-service") { c in
                try await c.ask(IndexerAPI.record, RecordQuery(dataset: F.medical, subject: F.subject("patient-1"), purpose: "again"),
                                as: RecordAnswer.self)
            }
        }

        // SQL metacharacters in every parameter are data, not SQL.
        let blocksBefore = try pg.psql(db, "SELECT count(*) FROM citychain.blocks")
        let nasty = try await indexer.query(as: "parks-department") { c in
            try await c.ask(IndexerAPI.dataset, DatasetQuery(dataset: F.parking, predicates: [
                FieldPredicate(path: ["zone'; DROP TABLE citychain.blocks; --"], op: .equal, value: #""x'); DELETE FROM citychain.transactions; --""#),
                FieldPredicate(path: ["plate\"", "a'b"], op: .greaterOrEqual, value: #""'; SELECT pg_sleep(5); --""#),
            ]), as: ChangesAnswer.self)
        }
        #expect(nasty.items.isEmpty)
        let odd = try await indexer.query(as: "parks-department") { c in
            try await c.ask(IndexerAPI.record, RecordQuery(dataset: F.parking, subject: F.subject("bay-1'; DROP TABLE citychain.blocks; --")),
                            as: RecordAnswer.self)
        }
        try odd.verify(dataset: F.parking, subject: F.subject("bay-1'; DROP TABLE citychain.blocks; --"), validatorSet: set)
        await expectWireError(.invalidRequest, "not a JSON value") {
            _ = try await indexer.query(as: "parks-department") { c in
                try await c.ask(IndexerAPI.dataset, DatasetQuery(dataset: F.parking, predicates: [FieldPredicate(path: ["zone"], op: .equal, value: "B'--")]),
                                as: ChangesAnswer.self)
            }
        }
        #expect(try pg.psql(db, "SELECT count(*) FROM citychain.blocks") == blocksBefore)
        #expect(Int(try pg.psql(db, "SELECT count(*) FROM citychain.transactions"))! > 60)

        // Analysts: each agency's role sees only what the agency may read; any other role sees nothing.
        func count(_ role: String, _ sql: String) throws -> String {
            try pg.psql(db, "SET ROLE \"\(role)\"; \(sql)")
        }
        let notPublic = "SELECT count(*) FROM citychain.transactions WHERE dataset IN ('property.registry', 'medical.records')"
        #expect(try count("cc_analyst_parks-department", notPublic) == "0")
        #expect(Int(try count("cc_analyst_parks-department", "SELECT count(*) FROM citychain.records WHERE dataset = 'parking.sessions'"))! > 0)
        #expect(try count("cc_analyst_tax-office", "SELECT count(*) FROM citychain.record_versions WHERE dataset = 'property.registry'") == "2")
        #expect(try count("cc_analyst_tax-office", "SELECT count(*) FROM citychain.transactions WHERE dataset = 'medical.records'") == "0")
        #expect(try count("cc_analyst_hospital", "SELECT count(*) FROM citychain.transactions WHERE dataset = 'medical.records' AND operation = 'putRecord'") == "2")
        #expect(try count("cc_analyst_parks-department", "SELECT count(*) FROM citychain.disclosures") == "0")
        for table in ["transactions", "blocks", "datasets", "grants", "disclosures", "agencies", "records"] {
            #expect(try count("citychain_analyst", "SELECT count(*) FROM citychain.\(table)") == "0", "unmapped analyst sees \(table)")
        }
        // An analyst logged in as their agency's role (or as a member of it) cannot ask the policy
        // functions about another agency's role: no learning who may read what, or who holds grants.
        let login = "cc_login_" + UUID().uuidString.prefix(8).lowercased()
        _ = try pg.psql(db, "CREATE ROLE \(login) LOGIN IN ROLE \"cc_analyst_parks-department\"")
        defer { _ = try? pg.psql(db, "DROP ROLE \(login)") }
        func asAnalyst(_ sql: String) throws -> String { try pg.psql(db, "SET SESSION AUTHORIZATION \(login); \(sql)") }
        #expect(try asAnalyst("SELECT citychain.may_read('cc_analyst_hospital', 'medical.records')") == "f", "another agency's access")
        #expect(try asAnalyst("SELECT coalesce(citychain.analyst_agency('cc_analyst_hospital'), 'none')") == "none", "another agency's role")
        #expect(try asAnalyst("SELECT citychain.may_read('cc_analyst_parks-department', 'parking.sessions')") == "t", "its own role still answers")
        #expect(Int(try asAnalyst("SET ROLE \"cc_analyst_parks-department\"; SELECT count(*) FROM citychain.records WHERE dataset = 'parking.sessions'"))! > 0)
        #expect(try asAnalyst("SET ROLE \"cc_analyst_parks-department\"; SELECT count(*) FROM citychain.transactions WHERE dataset = 'medical.records'") == "0")
    }
}
