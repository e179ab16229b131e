import CityChainAPI
import CityEncoding
import CityLedger
import CityTestSupport
import CityWire
import Foundation
import Testing
@testable import CityIndexer

/// Issue 18 item 4 at the indexer: a record written before an agency's grant reaches it through
/// the key its owner re-wrapped on chain (`shareRecordKeys`), which the agency fetches, proven, with
/// `indexer.keyShares` — only its own shares, and only while it may read the dataset.
@Suite(.serialized) struct KeySharesIndexerTests {
    @Test(.timeLimit(.minutes(3))) func aLaterGranteeFetchesTheKeysItsOwnerShared() async throws {
        var chain = IndexerChain()
        let visit = chain.medical("patient-1", "allergy: penicillin")
        chain.block([visit])                                                                        // 1
        guard case .putRecord = visit.body.operation, let payload = visit.payloadBytes else { Issue.record("not a write"); return }
        let sealed = try SealedPayload(canonicalBytes: payload)
        func share(to agency: String) throws -> RecordKeyShare {
            RecordKeyShare(subject: F.subject("patient-1"), version: 1,
                           key: try sealed.rewrap(as: F.id("hospital"), keyID: 2, privateKey: F.sealKey("hospital"),
                                                  to: (F.id(agency), KeyID(2), F.sealKey(agency).publicKey)))
        }
        chain.block([chain.grant(F.medical, to: "tax-office", by: "hospital", expires: 1000),
                     chain.grant(F.medical, to: "audit-office", by: "hospital", expires: 1000)])   // 2
        chain.block([chain.tx("hospital", .shareRecordKeys(dataset: F.medical, grantee: F.id("tax-office"), shares: [try share(to: "tax-office")])),
                     chain.tx("hospital", .shareRecordKeys(dataset: F.medical, grantee: F.id("audit-office"), shares: [try share(to: "audit-office")]))])  // 3
        let (_, ca, validator) = try await ChainServer.serve(chain)
        let db = try await TestPostgres.database().settings
        let indexer = try await TestIndexer(db: db, validators: [validator.address], ca: ca)
        defer { Task { await indexer.stop(); await validator.stop() } }
        try await indexer.waitFor(height: 3)

        let q = KeySharesQuery(dataset: F.medical, purpose: "billing")
        let mine = try await indexer.query(as: "tax-office") { c in try await c.ask(IndexerAPI.keyShares, q, as: ChangesAnswer.self) }
        try mine.verifyKeyShares(dataset: F.medical, grantee: F.id("tax-office"), validatorSet: genesisSet)
        #expect(mine.items.count == 1 && !mine.more)
        let key = try #require(mine.keyShares.values.first?.key)
        #expect(try sealed.open(share: key, privateKey: F.sealKey("tax-office")) == Array("allergy: penicillin".utf8))
        // The audit office gets its own share only; as the tax office's it does not verify.
        let theirs = try await indexer.query(as: "audit-office") { c in try await c.ask(IndexerAPI.keyShares, q, as: ChangesAnswer.self) }
        #expect(theirs.items.count == 1)
        #expect(throws: ProofFailure.self) { try theirs.verifyKeyShares(dataset: F.medical, grantee: F.id("tax-office"), validatorSet: genesisSet) }
        // Paging: after the only item there is nothing.
        let next = try await indexer.query(as: "tax-office") { c in
            try await c.ask(IndexerAPI.keyShares, KeySharesQuery(dataset: F.medical, after: mine.items[0].cursor), as: ChangesAnswer.self)
        }
        #expect(next.items.isEmpty)
        // An agency that may not read the dataset gets nothing.
        await expectWireError(.forbidden, "no grant") {
            _ = try await indexer.query(as: "land-bureau") { c in try await c.ask(IndexerAPI.keyShares, q, as: ChangesAnswer.self) }
        }
    }
}
