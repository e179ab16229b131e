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
@preconcurrency import Crypto

/// The gateway starts near the head (issue 14 item 5): the indexer's proven starting state
/// (`indexer.startingState`: the validator set, the scheduled changes and every agency's keys, each
/// proven under a certified state root) is checked against the genesis and the watch follows from
/// its height, not from block 1; tampered answers are refused.
@Suite(.serialized) struct GatewayStartTests {
    static let v4 = F.signingKey(0x14).ledgerPublicKey
    static let waterKey = F.signingKey(0x31)

    @Test(.timeLimit(.minutes(3))) func theGatewayStartsFromAProvenStateNearTheHead() async throws {
        var chain = IndexerChain()
        chain.parkingBlocks(30, perBlock: 10)                                                                   // 1–3
        chain.block([chain.admin(.registerAgency(id: F.id("water-board"), name: "Water Board", isAdmin: false,
                                                 keys: [AgencyKey(keyID: 1, material: .signing(Self.waterKey.ledgerPublicKey))]))])   // 4
        chain.block([chain.admin(.addAgencyKey(agency: F.id("tax-office"),
                                               key: AgencyKey(keyID: 5, material: .signing(F.signingKey(0x32).ledgerPublicKey))))])  // 5
        chain.block([chain.admin(.revokeAgencyKey(agency: F.id("tax-office"), keyID: 5))])                     // 6
        chain.block([chain.validatorChange([ValidatorChange(publicKey: Self.v4, power: 10, name: "v4")])])     // 7: v4 signs from 9
        let (holder, ca, validator) = try await ChainServer.serve(chain)
        let indexer = try await TestIndexer(db: try await TestPostgres.database().settings, validators: [validator.address], ca: ca)
        defer { Task { await indexer.stop(); await validator.stop() } }
        try await indexer.waitFor(height: 7)

        // The answer verifies against the genesis set (it signs up to block 8); tampered ones do not.
        let answer = try await indexer.query(as: "parks-department") { c in
            try StartingStateAnswer(canonicalBytes: try await c.request(IndexerAPI.startingState, []))
        }
        try answer.verify(validatorSet: genesisSet)
        #expect(answer.at.height == 7)
        #expect(answer.pending.map(\.effectiveHeight) == [9])
        #expect(answer.agencies.map(\.entry.id) == (F.genesis.agencies.map(\.id) + [F.id("water-board")]).sorted())
        var revived = answer
        let tax = try #require(revived.agencies.firstIndex { $0.entry.id == F.id("tax-office") })
        let five = try #require(revived.agencies[tax].entry.keys.firstIndex { $0.key.keyID == 5 })
        revived.agencies[tax].entry.keys[five].revokedAtHeight = nil
        #expect(throws: ProofFailure.self) { try revived.verify(validatorSet: genesisSet) }
        var noPending = answer
        noPending.pending = []
        #expect(throws: ProofFailure.self) { try noPending.verify(validatorSet: genesisSet) }
        var unordered = answer
        unordered.agencies.reverse()
        #expect(throws: ProofFailure.self) { try unordered.verify(validatorSet: genesisSet) }
        await expectWireError(.invalidRequest, "empty payload") {
            _ = try await indexer.query(as: "parks-department") { c in try await c.request(IndexerAPI.startingState, [1]) }
        }

        // The gateway starts at block 7: its commit stream asks from 8, and it knows the keys of block 7.
        let gateway = try GatewayRuntime.assemble(
            settings: GatewaySettings(genesis: F.genesis, validators: [validator.address], indexers: [HostPort(host: "127.0.0.1", port: indexer.port)]),
            tls: try TLSIdentity(issued: ca.issue(role: .gateway, name: "gateway-test")), host: "127.0.0.1", port: 0, logger: testLogger)
        let running = Task { try await gateway.run() }
        defer { running.cancel() }
        try await eventually("the gateway caught up and asked for the commit stream", seconds: 20) {
            let streams = await holder.commitStreams
            return await gateway.watch.caughtUp && streams.contains { $0.role == .gateway }
        }
        let gatewayStreams = await holder.commitStreams.filter { $0.role == .gateway }.map(\.from)
        #expect(gatewayStreams.first == 8, "the gateway asked the commit stream from \(gatewayStreams), not from 8")
        let keys = await gateway.watch.keys
        #expect(keys.key(Signer(agency: F.id("water-board"), keyID: 1)) == .active(Self.waterKey.ledgerPublicKey))
        #expect(keys.key(Signer(agency: F.id("tax-office"), keyID: 5)) == .revoked(atHeight: 6))
        #expect(keys.key(F.signer("traffic-bureau")) == .active(F.key("traffic-bureau").ledgerPublicKey))

        // It follows on across the validator change (block 9 is signed by the new set), and still
        // verifies older blocks (receipts) with the sets it checked from the genesis.
        await holder.edit { c in c.parkingBlocks(20, perBlock: 10, start: 100) }                              // 8–9
        try await eventually("the gateway at block 9", seconds: 20) { await gateway.watch.height == 9 }
        #expect(await gateway.watch.verifies(chain.blocks[1]))
        #expect(await gateway.watch.verifies(await holder.chain.blocks[8]))
        var forged = chain.blocks[1]
        forged.certificate = chain.blocks[2].certificate
        #expect(await !gateway.watch.verifies(forged))
    }

    /// Without an indexer that answers, the gateway replays from block 1 as before.
    @Test(.timeLimit(.minutes(2))) func withoutAnIndexerTheGatewayFollowsFromBlockOne() async throws {
        var chain = IndexerChain()
        chain.parkingBlocks(20, perBlock: 10)                                                                   // 1–2
        let (holder, ca, validator) = try await ChainServer.serve(chain)
        let gateway = try GatewayRuntime.assemble(
            settings: GatewaySettings(genesis: F.genesis, validators: [validator.address]),
            tls: try TLSIdentity(issued: ca.issue(role: .gateway, name: "gateway-test")), host: "127.0.0.1", port: 0, logger: testLogger)
        let running = Task { try await gateway.run() }
        defer { running.cancel(); Task { await validator.stop() } }
        try await eventually("the gateway caught up and asked for the commit stream", seconds: 20) {
            let streams = await holder.commitStreams
            return await gateway.watch.caughtUp && streams.contains { $0.role == .gateway }
        }
        #expect(await holder.commitStreams.filter { $0.role == .gateway }.map(\.from).first == 1)
        #expect(await gateway.watch.height == 2)
    }
}
