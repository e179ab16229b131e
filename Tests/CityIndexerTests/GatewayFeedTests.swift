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

/// Feeds through a gateway: relayed as `ForwardedFeed` for the agency in the client certificate
/// (so the indexer's access rules apply to it), and resumed by the gateway on another indexer when
/// the one serving stops: the client sees one feed with every change once.
@Suite(.serialized) struct GatewayFeedTests {
    @Test(.timeLimit(.minutes(4))) func aFeedThroughTheGatewaySurvivesItsIndexerStopping() async throws {
        var chain = IndexerChain()
        chain.parkingBlocks(100, perBlock: 20)                                       // 1–5
        chain.block([chain.property("parcel-1", owner: "Ana")])                       // 6
        let (holder, ca, validator) = try await ChainServer.serve(chain)
        let first = try await TestIndexer(db: try await TestPostgres.database().settings, validators: [validator.address], ca: ca)
        let second = try await TestIndexer(db: try await TestPostgres.database().settings, validators: [validator.address], ca: ca)
        let gatewayTLS = try TLSIdentity(issued: ca.issue(role: .gateway, name: "gateway-test"))
        let gateway = try GatewayRuntime.assemble(
            settings: GatewaySettings(genesis: F.genesis, validators: [validator.address], indexers: [HostPort(host: "127.0.0.1", port: first.port)]),
            tls: gatewayTLS, host: "127.0.0.1", port: 0, logger: testLogger)
        let running = Task { try await gateway.run() }
        defer { Task { running.cancel(); await first.stop(); await second.stop(); await validator.stop() } }
        try await first.waitFor(height: 6)
        try await second.waitFor(height: 6)
        let port = try await gateway.node.server.listeningAddress.port!
        try await eventually("a healthy indexer behind the gateway", seconds: 10) { gateway.indexers.anyHealthy }
        let parks = try FeedClient(ca: ca, agency: "parks-department")

        // Refused through the gateway as directly: no grant on an internal dataset.
        await expectWireError(.forbidden, "has no grant") {
            try await parks.feed(port: port, role: .gateway, FeedRequest(datasets: [F.property], start: .beginning, purpose: "x")) { _ in true }
        }
        // An agency may not claim to relay for another agency.
        await expectWireError(.forbidden, "may not call") {
            try await parks.client.withConnection(host: "127.0.0.1", port: first.port, expecting: .indexer) { c in
                for try await _ in c.stream(IndexerAPI.forwardedFeed, ForwardedFeed(agency: F.id("land-bureau"),
                                                                                    request: FeedRequest(datasets: [F.property])).canonicalBytes) {}
            }
        }

        // A live feed through the gateway; the serving indexer stops while blocks commit.
        let feeder = ChainFeeder(holder: holder)
        let final = chain.height + 60
        async let fed: Void = feeder.feed(blocks: 60, perBlock: 20, pause: .milliseconds(30))
        async let followed = followResuming(parks, ports: [port], role: .gateway, request: FeedRequest(datasets: [F.parking], start: .beginning),
                                            done: { ($0.cursor ?? .start) >= .endOf(height: final) })
        try await eventually("15 blocks fed", seconds: 12) { await holder.height >= chain.height + 15 }
        gateway.indexers.setAddresses([HostPort(host: "127.0.0.1", port: first.port), HostPort(host: "127.0.0.1", port: second.port)])
        try await eventually("both indexers healthy", seconds: 10) { gateway.indexers.health().filter(\.healthy).count >= 2 }
        await first.stop()
        try await fed
        let (log, tracker) = await followed
        #expect(tracker.cursor.map { $0 >= .endOf(height: final) } == true, "stopped at \(String(describing: tracker.cursor)); \(log.errors.suffix(3))")
        let expected = expectedCursors(await holder.snapshot, F.parking)
        let same = log.changes.map(\.cursor) == expected
        #expect(same, "got \(log.changes.count) of \(expected.count) changes")
        var verified = VerifiedHeaders()
        for p in log.changes { try verified.verify(p, validatorSet: genesisSet) }
        #expect(log.reconnects == 0, "the client had to reconnect itself: \(log.errors)")
        try await eventually("the relayed feeds closed", seconds: 5) { gateway.service.feeds.openFeeds == 0 }
        #expect(gateway.service.feeds.openFeeds == 0, "the relay did not end with its client")
    }
}
