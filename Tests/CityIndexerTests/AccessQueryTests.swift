import CityChainAPI
import CityEncoding
import CityLedger
import CityTestSupport
import CityWire
import Foundation
import Testing
@testable import CityIndexer

/// `indexer.access` (0x020E): the datasets of the chain and the grants that concern the reader,
/// each proven under a certified state root; what `citychain console` shows as datasets and grants.
@Suite(.serialized) struct AccessQueryTests {
    @Test(.timeLimit(.minutes(3))) func datasetsAndTheReadersGrantsAreProven() async throws {
        var chain = IndexerChain()
        chain.block([chain.grant(F.property, to: "tax-office", by: "land-bureau", expires: 1000, purpose: "assessments"),
                     chain.grant(F.medical, to: "ambulance-service", by: "hospital", expires: 1000),
                     chain.grant(F.property, to: "parks-department", by: "land-bureau", expires: 2)])                          // 1
        chain.block([chain.tx("land-bureau", .defineDataset(id: F.ds("land.deeds"), sensitivity: .restricted, schema: "deed/v1", writers: []))])  // 2
        chain.block([chain.tx("land-bureau", .revokeAccess(dataset: F.property, grantee: F.id("parks-department")))])       // 3
        chain.parkingBlocks(1, perBlock: 1)                                                                                  // 4
        let (_, ca, validator) = try await ChainServer.serve(chain)
        let indexer = try await TestIndexer(db: try await TestPostgres.database().settings, validators: [validator.address], ca: ca)
        defer { Task { await indexer.stop(); await validator.stop() } }
        try await indexer.waitFor(height: 4)

        func access(_ agency: String) async throws -> AccessAnswer {
            try await indexer.query(as: agency) { c in try AccessAnswer(canonicalBytes: try await c.request(IndexerAPI.access, [])) }
        }
        let tax = try await access("tax-office")
        try tax.verify(validatorSet: genesisSet)
        #expect(tax.at.height == 4)
        #expect(tax.datasets.map(\.entry.id) == [F.ds("land.deeds"), F.property, F.medical, F.parking].sorted())
        // The tax office's grant only: not the hospital's to the ambulance service, not the revoked one.
        #expect(tax.grants.map { "\($0.dataset)/\($0.grantee)" } == ["\(F.property)/tax-office"])
        #expect(tax.grants.first?.entry.purpose == "assessments")
        let property = try #require(tax.datasets.first { $0.entry.id == F.property }?.entry)
        let medical = try #require(tax.datasets.first { $0.entry.id == F.medical }?.entry)
        #expect(tax.canRead(F.id("tax-office"), property) && !tax.canRead(F.id("tax-office"), medical))

        // The owner sees the grants it gave; the revoked one is gone.
        let land = try await access("land-bureau")
        try land.verify(validatorSet: genesisSet)
        #expect(land.grants.map { "\($0.dataset)/\($0.grantee)" } == ["\(F.property)/tax-office"])

        // Tampered answers are refused: a changed grant, a changed dataset, a reordered list.
        var longer = tax
        longer.grants[0].entry.expiresAtHeight = 9_999_999
        #expect(throws: ProofFailure.self) { try longer.verify(validatorSet: genesisSet) }
        var opened = tax
        let i = try #require(opened.datasets.firstIndex { $0.entry.id == F.medical })
        opened.datasets[i].entry.sensitivity = .public
        #expect(throws: ProofFailure.self) { try opened.verify(validatorSet: genesisSet) }
        var unordered = tax
        unordered.datasets.reverse()
        #expect(throws: ProofFailure.self) { try unordered.verify(validatorSet: genesisSet) }
        // Round trip, the saved-answer check, and a non-empty payload refused.
        #expect(try AccessAnswer(canonicalBytes: tax.canonicalBytes) == tax)
        #expect(try SavedAnswer(kind: IndexerAPI.access, query: [], answer: tax.canonicalBytes).verify(validatorSet: genesisSet).contains("4 datasets and 1 grants"))
        await expectWireError(.invalidRequest, "empty payload") {
            _ = try await indexer.query(as: "tax-office") { c in try await c.request(IndexerAPI.access, [1]) }
        }
    }
}
