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

/// The `citychain` CLI (the real binary) after a validator is promoted and another removed: it
/// follows the set changes from the genesis (or a block trusted by hash) through a gateway or an
/// indexer, so `query`, `submit`, `watch` and `verify` of answers from before and after the changes
/// all verify, offline too from the cache; where the sets are not known, the check says so.
@Suite(.serialized) struct ValidatorSetChangeClientTests {
    static let v4 = F.signingKey(0x14).ledgerPublicKey
    static let v0 = F.validatorKeys[0].ledgerPublicKey

    @Test(.timeLimit(.minutes(4))) func clientsVerifyAcrossAPromotionAndARemoval() async throws {
        var chain = IndexerChain()
        chain.parkingBlocks(20, perBlock: 10)                                                      // 1-2
        let early = chain.blocks[0].block.transactions[0].id
        chain.block([chain.validatorChange([ValidatorChange(publicKey: Self.v4, power: 10, name: "v4")])])   // 3: v4 signs from 5
        chain.parkingBlocks(30, perBlock: 10, start: 20)                                           // 4-6
        chain.block([chain.validatorChange([ValidatorChange(publicKey: Self.v0, power: 0, name: "v0")])])    // 7: v0 gone from 9
        chain.parkingBlocks(20, perBlock: 10, start: 50)                                           // 8-9
        #expect(chain.blocks[8].block.header.validatorSetHash != (try ValidatorSet(F.genesis.validators)).hash)
        let (_, ca, validator) = try await ChainServer.serve(chain)
        let indexer = try await TestIndexer(db: try await TestPostgres.database().settings, validators: [validator.address], ca: ca)
        let gateway = try GatewayRuntime.assemble(
            settings: GatewaySettings(genesis: F.genesis, validators: [validator.address], indexers: [HostPort(host: "127.0.0.1", port: indexer.port)]),
            tls: try TLSIdentity(issued: ca.issue(role: .gateway, name: "gateway-test")), host: "127.0.0.1", port: 0, logger: testLogger)
        let running = Task { try await gateway.run() }
        defer { Task { running.cancel(); await indexer.stop(); await validator.stop() } }
        try await indexer.waitFor(height: 9)
        let gw = "127.0.0.1:\(try await gateway.node.server.listeningAddress.port!)"
        let ix = "127.0.0.1:\(indexer.port)"
        try await eventually("the gateway sees a healthy indexer", seconds: 10) { gateway.indexers.anyHealthy }

        // The indexer lists both changes with their proofs.
        let changes = try await indexer.query(as: "parks-department") { c in
            try await c.ask(IndexerAPI.validatorChanges, ValidatorChangesQuery(after: 0), as: ValidatorChangesAnswer.self)
        }
        #expect(changes.items.map(\.height) == [3, 7])

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sets-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = try AgencyClientFiles(dir: dir, ca: ca)
        let (tls, trust) = (files.tls, files.trust)

        // Before this change: "header 9 is signed by validator set …, not the trusted set …".
        let after = try await runCLI(["query", "record", "--gateway", gw, "--dataset", "parking.sessions", "--subject", "bay-65",
                                      "--save", dir + "/after.ans"] + tls + trust)
        #expect(after.status == 0 && after.output.contains("proofs: verified"), "\(after.output)")
        let before = try await runCLI(["query", "tx", "--indexer", ix, "--id", "\(early)", "--save", dir + "/before.ans"] + tls + trust)
        #expect(before.status == 0 && before.output.contains("proofs: verified"), "\(before.output)")

        // A write after the changes: committed, its receipt verified with the set of its block.
        let submitted = try await runCLI(["submit", "--gateway", gw, "--agency", "traffic-bureau", "--signing-key", dir + "/tb-signing.json",
                                          "--dataset", "parking.sessions", "--subject", "bay-new", "--json", #"{"zone":"A","minutes":5,"paid":true}"#,
                                          "--save", dir + "/receipt.ans"] + tls + trust, seconds: 60)
        #expect(submitted.status == 0 && submitted.output.contains("committed") && submitted.output.contains("verified    receipt"),
                "\(submitted.output)")

        // A watch from the beginning, with an empty cache: it fetches the changes as it meets them.
        let watched = try await runCLI(["watch", "parking.sessions", "--gateway", gw, "--from", "beginning", "--until-height", "10",
                                        "--output", "json", "--genesis", dir + "/genesis.json", "--trust-cache", dir + "/watch-sets.bin"] + tls,
                                       seconds: 60)
        let lines = watched.output.split(separator: "\n").filter { $0.contains(#""type":"change""#) }
        #expect(watched.status == 0 && lines.count == 71 && lines.allSatisfy { $0.contains(#""verified":"yes""#) }, "\(watched.output)")

        // A block trusted by its hash instead of the genesis.
        let anchor = chain.blocks[7].block.header
        let anchored = try await runCLI(["query", "record", "--indexer", ix, "--dataset", "parking.sessions", "--subject", "bay-65",
                                         "--trust-height", "8", "--trust-hash", anchor.hash.hex, "--trust-cache", dir + "/anchored.bin"] + tls)
        #expect(anchored.status == 0 && anchored.output.contains("proofs: verified"), "\(anchored.output)")
        let wrongHash = try await runCLI(["query", "record", "--indexer", ix, "--dataset", "parking.sessions", "--subject", "bay-65",
                                          "--trust-height", "8", "--trust-hash", chain.blocks[6].block.header.hash.hex,
                                          "--trust-cache", dir + "/wrong.bin"] + tls)
        #expect(wrongHash.status != 0 && wrongHash.output.contains("not"), "\(wrongHash.output)")

        // Offline: the servers are gone; the cache the online commands kept verifies every saved answer.
        running.cancel()
        await indexer.stop()
        for file in ["before.ans", "after.ans", "receipt.ans"] {
            let v = try await runCLI(["verify", dir + "/" + file] + trust)
            #expect(v.status == 0 && v.output.contains("verified:"), "\(file): \(v.output)")
        }
        let noCache = try await runCLI(["verify", dir + "/after.ans", "--genesis", dir + "/genesis.json", "--trust-cache", dir + "/none.bin"])
        #expect(noCache.status == 1 && noCache.output.contains("not known here yet"), "\(noCache.output)")
        let old = try await runCLI(["verify", dir + "/before.ans", "--genesis", dir + "/genesis.json", "--trust-cache", dir + "/none.bin"])
        #expect(old.status == 1, "an answer whose head is after the changes needs them: \(old.output)")
    }
}
