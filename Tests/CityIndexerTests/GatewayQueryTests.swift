import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import Testing
@testable import CityGateway
@testable import CityIndexer

/// Queries through a gateway: the gateway relays them to the indexer as `ForwardedQuery` for the
/// agency in the client certificate, so the answers are the indexer's (proofs verify), its access
/// rules apply to that agency (denials included) and disclosures name that agency; only gateway
/// certificates may forward.
@Suite(.serialized) struct GatewayQueryTests {
    @Test(.timeLimit(.minutes(3))) func queriesThroughTheGatewayKeepTheReadersRights() async throws {
        var chain = IndexerChain()
        chain.parkingBlocks(20, perBlock: 10)                                                     // 1–2
        chain.block([chain.property("parcel-17", owner: "Ana Silva"), chain.medical("patient-1", "allergy: penicillin"),
                     chain.grant(F.property, to: "tax-office", by: "land-bureau", expires: 1000)])   // 3
        let (_, ca, validator) = try await ChainServer.serve(chain)
        let indexer = try await TestIndexer(db: try await TestPostgres.database().settings, validators: [validator.address], ca: ca)
        let gatewayTLS = try TLSIdentity(issued: ca.issue(role: .gateway, name: "gateway-test"))
        let gateway = try GatewayRuntime.assemble(
            settings: GatewaySettings(genesis: F.genesis, validators: [validator.address], indexers: [HostPort(host: "127.0.0.1", port: indexer.port)]),
            tls: gatewayTLS, host: "127.0.0.1", port: 0, logger: testLogger)
        let running = Task { try await gateway.run() }
        defer { Task { running.cancel(); await indexer.stop(); await validator.stop() } }
        try await indexer.waitFor(height: 3)
        let port = try await gateway.node.server.listeningAddress.port!
        func viaGateway<T: Sendable>(_ agency: String, _ body: (WireConnection) async throws -> T) async throws -> T {
            let c = try WireClient(tls: TLSSetup.client(TLSIdentity(issued: ca.issue(role: .agency(agency), name: agency))), logger: testLogger)
            return try await c.withConnection(host: "127.0.0.1", port: port, expecting: .gateway, body)
        }
        try await eventually("a healthy indexer behind the gateway", seconds: 10) { gateway.indexers.anyHealthy }

        // A granted internal read through the gateway: the indexer's answer, proofs verify, and the
        // disclosure names the tax office (not the gateway).
        let parcel = try await viaGateway("tax-office") { c in
            try await c.ask(IndexerAPI.record, RecordQuery(dataset: F.property, subject: F.subject("parcel-17"), purpose: "assessment"),
                            as: RecordAnswer.self)
        }
        try parcel.verify(dataset: F.property, subject: F.subject("parcel-17"), validatorSet: genesisSet)
        #expect(String(decoding: parcel.payload ?? [], as: UTF8.self).contains("Ana Silva"))
        let disclosures = try await indexer.runtime.store.disclosures(dataset: F.property, subject: F.subject("parcel-17"), after: 0, limit: 10)
        #expect(disclosures.map(\.0.reader.value) == ["tax-office"])

        // Public data for anyone; the status passes through.
        let bays = try await viaGateway("parks-department") { c in
            try await c.ask(IndexerAPI.dataset, DatasetQuery(dataset: F.parking), as: ChangesAnswer.self)
        }
        try bays.verify(dataset: F.parking, validatorSet: genesisSet)
        #expect(bays.items.count == 20)
        let st = try await viaGateway("parks-department") { c in try await c.ask(IndexerAPI.status, Empty(), as: IndexerStatus.self) }
        #expect(st.indexedHeight == 3)

        // Denied for an agency without a grant, through the gateway as directly.
        await expectWireError(.forbidden, "no grant") {
            _ = try await viaGateway("parks-department") { c in
                try await c.request(IndexerAPI.record, RecordQuery(dataset: F.medical, subject: F.subject("patient-1"), purpose: "x").canonicalBytes)
            }
        }
        await expectWireError(.forbidden, "no grant") {
            _ = try await viaGateway("parks-department") { c in
                try await c.request(IndexerAPI.history, HistoryQuery(dataset: F.property, subject: F.subject("parcel-17"), purpose: "x").canonicalBytes)
            }
        }
        // An agency may not claim to forward for another agency.
        await expectWireError(.forbidden, "may not call message kind 0x0208") {
            _ = try await indexer.query(as: "parks-department") { c in
                try await c.request(IndexerAPI.forwarded, ForwardedQuery(agency: F.id("tax-office"), kind: IndexerAPI.record,
                                                                         payload: RecordQuery(dataset: F.property, subject: F.subject("parcel-17"), purpose: "x").canonicalBytes).canonicalBytes)
            }
        }
        // Nor may a gateway forward anything but a query.
        await expectWireError(.unknownKind, "forward only query kinds") {
            let c = try WireClient(tls: TLSSetup.client(gatewayTLS), logger: testLogger)
            _ = try await c.withConnection(host: "127.0.0.1", port: indexer.port, expecting: .indexer) { conn in
                try await conn.request(IndexerAPI.forwarded, ForwardedQuery(agency: F.id("tax-office"), kind: IndexerAPI.status, payload: []).canonicalBytes)
            }
        }
        // Failover between indexers: a second indexer joins, the first stops; queries keep being answered.
        let second = try await TestIndexer(db: try await TestPostgres.database().settings, validators: [validator.address], ca: ca)
        try await second.waitFor(height: 3)
        gateway.indexers.setAddresses([HostPort(host: "127.0.0.1", port: indexer.port), HostPort(host: "127.0.0.1", port: second.port)])
        try await eventually("both indexers healthy", seconds: 10) { gateway.indexers.health().filter(\.healthy).count >= 2 }
        await indexer.stop()
        for i in 0..<10 {
            let again = try await viaGateway("parks-department") { c in
                try await c.ask(IndexerAPI.record, RecordQuery(dataset: F.parking, subject: F.subject("bay-\(i)")), as: RecordAnswer.self)
            }
            try again.verify(dataset: F.parking, subject: F.subject("bay-\(i)"), validatorSet: genesisSet)
        }
        // The stopped indexer closed the gateway's connections: it is marked unhealthy on the close
        // (the queries above may all have gone to the second one), well before the next probe.
        try await eventually("the stopped indexer unhealthy", seconds: 5) { gateway.indexers.health().filter(\.healthy).count <= 1 }
        #expect(gateway.indexers.health().filter(\.healthy).map(\.address) == ["127.0.0.1:\(second.port)"], "the stopped indexer is marked unhealthy")
        await second.stop()
    }

    /// An upstream that goes away between requests is unhealthy when its connections close, not at
    /// the next probe (here an hour away): the gateway stops routing to it at once.
    @Test(.timeLimit(.minutes(1))) func anUpstreamThatClosesIsUnhealthyAtOnce() async throws {
        let ca = try CertificateAuthority.create()
        let validator = try await ChainServer(holder: ChainHolder(IndexerChain()), ca: ca, logger: testLogger)
        let client = try WireClient(tls: TLSSetup.client(TLSIdentity(issued: ca.issue(role: .gateway, name: "gateway-test"))), logger: testLogger)
        let pool = UpstreamPool(role: .validator, client: client, probeInterval: .seconds(3600), logger: testLogger) { conn in
            try await conn.ping()
            return 1
        }
        defer { pool.shutdown() }
        pool.setAddresses([validator.address])
        try await eventually("the upstream healthy", seconds: 5) { pool.anyHealthy }
        #expect(pool.anyHealthy)
        await validator.stop()
        let stopped = ContinuousClock.now
        try await eventually("the closed upstream unhealthy", seconds: 2) { !pool.anyHealthy }
        #expect(!pool.anyHealthy, "still healthy \(ContinuousClock.now - stopped) after the upstream closed its connections")
        #expect(pool.health().first?.detail == "the connection closed")
    }
}

private struct Empty: CanonicalEncodable {
    func encode(to w: inout CanonicalWriter) {}

    /// Two indexers (each on its own database) behind one gateway share the queries: even one
    /// agency's sequential reads reach both, and every answer verifies.
    @Test(.timeLimit(.minutes(3))) func indexersBehindOneGatewayShareTheQueries() async throws {
        var chain = IndexerChain()
        chain.block([chain.property("parcel-17", owner: "Ana Silva"), chain.grant(F.property, to: "tax-office", by: "land-bureau", expires: 1000)])
        let (_, ca, validator) = try await ChainServer.serve(chain)
        let a = try await TestIndexer(db: try await TestPostgres.database().settings, validators: [validator.address], ca: ca)
        let b = try await TestIndexer(db: try await TestPostgres.database().settings, validators: [validator.address], ca: ca)
        let gateway = try GatewayRuntime.assemble(
            settings: GatewaySettings(genesis: F.genesis, validators: [validator.address],
                                      indexers: [HostPort(host: "127.0.0.1", port: a.port), HostPort(host: "127.0.0.1", port: b.port)]),
            tls: try TLSIdentity(issued: ca.issue(role: .gateway, name: "gateway-test")), host: "127.0.0.1", port: 0, logger: testLogger)
        let running = Task { try await gateway.run() }
        defer { Task { running.cancel(); await a.stop(); await b.stop(); await validator.stop() } }
        try await a.waitFor(height: 1)
        try await b.waitFor(height: 1)
        try await eventually("both indexers healthy behind the gateway", seconds: 10) { gateway.indexers.health().filter(\.healthy).count == 2 }
        let port = try await gateway.node.server.listeningAddress.port!
        let client = try WireClient(tls: TLSSetup.client(TLSIdentity(issued: ca.issue(role: .agency("tax-office"), name: "tax-office"))), logger: testLogger)
        try await client.withConnection(host: "127.0.0.1", port: port, expecting: .gateway) { c in
            for _ in 0..<40 {
                let answer = try await c.ask(IndexerAPI.record, RecordQuery(dataset: F.property, subject: F.subject("parcel-17"), purpose: "assessment"),
                                             as: RecordAnswer.self)
                try answer.verify(dataset: F.property, subject: F.subject("parcel-17"), validatorSet: genesisSet)
            }
        }
        // Each answer of an internal dataset is disclosed by the indexer that gave it.
        let byA = try await a.runtime.store.disclosures(dataset: F.property, subject: F.subject("parcel-17"), after: 0, limit: 100).count
        let byB = try await b.runtime.store.disclosures(dataset: F.property, subject: F.subject("parcel-17"), after: 0, limit: 100).count
        #expect(byA + byB == 40)
        #expect(byA > 0 && byB > 0, "both indexers answer: \(byA) and \(byB)")
    }
}
