import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import Synchronization
import Testing
@testable import CityIndexer
@testable import CityRegistry

/// A certificate revoked on chain (issue 17 item 3) at a real indexer: an agency's open feed ends
/// with `forbidden` once the indexer holds the block that revokes its certificate, and its new
/// connections are refused; other agencies go on. The gateway's starting state carries the list,
/// proven. A registry given the genesis learns the list from this indexer (its proven starting
/// state) and refuses the certificate too, open connection included.
@Suite struct CertificateRevocationIndexerTests {
    @Test(.timeLimit(.minutes(3))) func aRevokedAgencyLosesItsOpenFeedAndItsConnections() async throws {
        var chain = IndexerChain()
        chain.parkingBlocks(10, perBlock: 5)                                                     // heights 1–2
        let (holder, ca, validator) = try await ChainServer.serve(chain)
        let indexer = try await TestIndexer(db: try await TestPostgres.database().settings, validators: [validator.address], ca: ca)
        defer { Task { await indexer.stop(); await validator.stop() } }
        try await indexer.waitFor(height: 2)

        let parks = try TLSIdentity(issued: ca.issue(role: .agency("parks-department"), name: "parks-department"))
        let fingerprint = try PeerIdentity(certificate: parks.certificateChain[0]).fingerprint
        let client = try WireClient(tls: TLSSetup.client(parks), logger: testLogger)

        // A registry that follows the revocations through this indexer (polled every 100 ms).
        let registryTLS = try TLSIdentity(issued: ca.issue(role: .registry, name: "registry-1"))
        let indexerAddress = HostPort(host: "127.0.0.1", port: indexer.port)
        let registry = try RegistryRuntime.assemble(database: try await TestPostgres.database().settings, tls: registryTLS, host: "127.0.0.1", port: 0,
                                                    genesis: F.genesis, indexers: { [indexerAddress] }, revocationInterval: .milliseconds(100),
                                                    logger: testLogger)
        let registryTask = Task { try await registry.run() }
        defer { registryTask.cancel() }
        let registryPort = try await registry.node.server.listeningAddress.port!
        let watch = try #require(registry.revocationWatch)
        try await eventually("the registry checked the indexer's starting state", seconds: 30) { watch.progress.current.height >= 2 }
        // Parks holds a connection to the registry, listing the directory, until it is cut.
        let registryHeld = Task { () -> String in
            do {
                try await client.withConnection(host: "127.0.0.1", port: registryPort, expecting: .registry) { c in
                    for _ in 0..<3000 {   // bounded: 3000 × 10 ms
                        _ = try await c.request(RegistryAPI.listAll, [], timeout: .seconds(5))
                        try await Task.sleep(for: .milliseconds(10))   // sleep: pacing the held connection's requests, not synchronisation
                    }
                }
                return "not cut"
            } catch { return "\(error)" }
        }
        let received = Mutex(0)
        let feed = Task { () -> WireError? in
            do {
                try await client.withConnection(host: "127.0.0.1", port: indexer.port, expecting: .indexer) { c in
                    for try await _ in c.stream(IndexerAPI.feed, FeedRequest(datasets: [F.parking], start: .beginning).canonicalBytes) {
                        received.withLock { $0 += 1 }
                    }
                }
                return nil
            } catch let error as WireError { return error } catch { return WireError(.internal, "\(error)") }
        }
        try await eventually("the feed delivered the 10 sessions", seconds: 30) { received.withLock { $0 } >= 10 }

        // The admins revoke the agency's certificate (block 3).
        let height = await holder.appendBlock { c in
            [c.admin(.revokeCertificate(fingerprint: Hash32(hex: fingerprint)!, reason: "laptop stolen"))]
        }
        #expect(height == 3)
        let ended = try await withTimeout(30) { await feed.value }
        #expect(ended?.code == .forbidden, "the open feed ended with the refusal: \(String(describing: ended))")
        #expect(ended?.message.contains("revoked on chain at height 3") == true)
        await expectWireError(.forbidden, "revoked on chain at height 3") {
            _ = try await client.withConnection(host: "127.0.0.1", port: indexer.port, expecting: .indexer) { c in
                try await c.request(IndexerAPI.status, [], timeout: .seconds(5))
            }
        }
        // The registry learns it from the indexer: the held connection is cut, new ones refused.
        let cut = try await withTimeout(30) { await registryHeld.value }
        #expect(cut != "not cut", "the registry cut the revoked certificate's open connection")
        await expectWireError(.forbidden, "revoked on chain at height 3") {
            _ = try await client.withConnection(host: "127.0.0.1", port: registryPort, expecting: .registry) { c in
                try await c.request(RegistryAPI.listAll, [], timeout: .seconds(5))
            }
        }
        #expect(watch.progress.current.revoked == 1)
        // Another agency is served as before, and the starting state proves the revocation.
        let start = try await indexer.query(as: "tax-office") { c in
            try StartingStateAnswer(canonicalBytes: try await c.request(IndexerAPI.startingState, [], timeout: .seconds(5)))
        }
        try start.verify(validatorSet: genesisSet)
        #expect(start.revoked.entry(Hash32(hex: fingerprint)!)?.revokedAtHeight == 3)
        var hidden = start
        hidden.revoked = RevokedCertificates(entries: [])
        #expect(throws: ProofFailure.self, "an answer that hides the revocation does not verify") { try hidden.verify(validatorSet: genesisSet) }
    }
}
