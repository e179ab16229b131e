import CityChainAPI
import CityConsensus
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import ServiceLifecycle
import Testing
@testable import CityGateway
@testable import CityIndexer
@testable import CityValidator
@preconcurrency import Crypto

/// Issue 15 item 1's acceptance on a real chain: four `citychain-validator` runtimes (in this
/// process, over mutual TLS) promote an observer by an admin transaction and then remove a genesis
/// validator; an indexer and a gateway follow them. The `citychain` CLI (the real binary), trusting
/// only the genesis file, then submits, queries, watches, and verifies saved answers from before and
/// after the changes, offline too; a forged set change is refused by the client's check.
@Suite(.serialized) struct RealPromotionClientTests {
    struct Node: Sendable {
        let runtime: ValidatorRuntime
        let group: ServiceGroup
        let task: Task<Void, any Error>
        let address: HostPort
        func stop() async { await group.triggerGracefulShutdown(); _ = try? await task.value }
    }

    static func start(_ index: Int, key: Curve25519.Signing.PrivateKey, ports: [Int], ca: CertificateAuthority, root: String) throws -> Node {
        var consensus = ConsensusConfig(chainID: F.chainID)
        (consensus.proposeBaseMillis, consensus.prevoteBaseMillis, consensus.precommitBaseMillis) = (800, 300, 300)
        let peers = ports.enumerated().filter { $0.offset != index }.map { "127.0.0.1:\($0.element)" }
        var settings = ValidatorSettings(name: "validator-\(index)", advertise: "127.0.0.1:\(ports[index])", peers: peers,
                                         policy: BlockPolicy(blockIntervalMillis: 0, heartbeatIntervalMillis: 500),
                                         mempool: MempoolLimits(), consensus: consensus)
        settings.snapshotEveryBlocks = 4   // snapshots after the set changes, for a node that state-syncs
        let runtime = try ValidatorRuntime.assemble(settings: settings, genesis: F.genesis, dataDirectory: "\(root)/v\(index)",
                                                    signer: Ed25519Signer(key),
                                                    tls: TLSIdentity(issued: ca.issue(role: .validator, name: "validator-\(index)")),
                                                    host: "127.0.0.1", port: ports[index], wire: WireConfiguration(), logger: testLogger)
        let group = ServiceGroup(services: [runtime.node.server, runtime.engine], gracefulShutdownSignals: [], logger: testLogger)
        let task = Task { try await group.run() }
        return Node(runtime: runtime, group: group, task: task, address: HostPort(host: "127.0.0.1", port: ports[index]))
    }

    @Test(.timeLimit(.minutes(5))) func clientsVerifyAcrossARealPromotionAndRemoval() async throws {
        let ca = try CertificateAuthority.create()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("promotion-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let ports = freePorts(5)
        let newKey = F.signingKey(0x14)
        let keys = F.validatorKeys + [newKey]
        let nodes = try (0..<5).map { try Self.start($0, key: keys[$0], ports: ports, ca: ca, root: root) }
        var stopped = false
        defer { if !stopped { Task { for n in nodes { await n.stop() } } } }
        for n in nodes { _ = try await n.runtime.node.server.listeningAddress }

        let agency = try WireClient(tls: TLSSetup.client(TLSIdentity(issued: ca.issue(role: .agency("traffic-bureau"), name: "traffic-bureau"))),
                                    logger: testLogger)
        var maker = IndexerChain()   // signs the transactions (unique nonces); the validators build the chain
        func submit(_ tx: SignedTransaction, to node: Int) async throws -> TxCommit {
            let status = try await agency.withConnection(host: "127.0.0.1", port: ports[node], expecting: .validator) { c in
                try SubmitResponse(canonicalBytes: try await c.request(ValidatorAPI.submit, SubmitRequest(transaction: tx, waitMillis: 20_000).canonicalBytes,
                                                                       timeout: .seconds(30))).status
            }
            guard case .committed(let at) = status else { throw TestFailure("not committed: \(status)") }
            return at
        }
        let early = maker.parking(1)
        _ = try await submit(early, to: 1)
        for i in 2..<6 { _ = try await submit(maker.parking(i), to: i % 4) }

        // Promote the observer (admin-a proposes, admin-b co-signs), then remove validator 0.
        let promoted = try await submit(maker.validatorChange([ValidatorChange(publicKey: newKey.ledgerPublicKey, power: 10, name: "v4")]), to: 2)
        try await eventually("the promoted validator votes", seconds: 30) { await nodes[4].runtime.engine.node.status().voting }
        for i in 6..<10 { _ = try await submit(maker.parking(i), to: 4) }
        let removed = try await submit(maker.validatorChange([ValidatorChange(publicKey: F.validatorKeys[0].ledgerPublicKey, power: 0, name: "v0")]), to: 3)
        try await eventually("the removal in force", seconds: 30) {
            await nodes[1].runtime.engine.node.height >= removed.height + LedgerLimits.validatorChangeDelayHeights + 1
        }
        for i in 10..<14 { _ = try await submit(maker.parking(i), to: 1 + i % 4) }
        let head = await nodes[1].runtime.engine.node.height
        #expect(promoted.height < removed.height)

        // An indexer and a gateway follow the chain (validators 1-4).
        let followed = Array(nodes[1...].map(\.address))
        let indexer = try await TestIndexer(db: try await TestPostgres.database().settings, validators: followed, ca: ca)
        let gateway = try GatewayRuntime.assemble(
            settings: GatewaySettings(genesis: F.genesis, validators: followed, indexers: [HostPort(host: "127.0.0.1", port: indexer.port)]),
            tls: try TLSIdentity(issued: ca.issue(role: .gateway, name: "gateway-test")), host: "127.0.0.1", port: 0, logger: testLogger)
        let running = Task { try await gateway.run() }
        defer { running.cancel() }
        try await indexer.waitFor(height: head)
        try await eventually("the gateway sees a healthy indexer", seconds: 10) { gateway.indexers.anyHealthy }
        let gw = "127.0.0.1:\(try await gateway.node.server.listeningAddress.port!)"
        let ix = "127.0.0.1:\(indexer.port)"

        // The client's files: certificate, signing key, the genesis only.
        let dir = root + "/client"
        let files = try AgencyClientFiles(dir: dir, ca: ca)
        let (tls, trust) = (files.tls, files.trust)

        let before = try await runCLI(["query", "tx", "--indexer", ix, "--id", "\(early.id)", "--save", dir + "/before.ans"] + tls + trust)
        #expect(before.status == 0 && before.output.contains("proofs: verified"), "\(before.output)")
        let after = try await runCLI(["query", "record", "--gateway", gw, "--dataset", "parking.sessions", "--subject", "bay-13",
                                      "--save", dir + "/after.ans"] + tls + trust)
        #expect(after.status == 0 && after.output.contains("proofs: verified"), "\(after.output)")
        let submitted = try await runCLI(["submit", "--gateway", gw, "--agency", "traffic-bureau", "--signing-key", dir + "/tb-signing.json",
                                          "--dataset", "parking.sessions", "--subject", "bay-new", "--json", #"{"zone":"A","minutes":5,"paid":true}"#,
                                          "--save", dir + "/receipt.ans"] + tls + trust, seconds: 60)
        #expect(submitted.status == 0 && submitted.output.contains("committed") && submitted.output.contains("verified    receipt"),
                "\(submitted.output)")
        let watched = try await runCLI(["watch", "parking.sessions", "--gateway", gw, "--from", "beginning", "--until-height", "\(head)",
                                        "--output", "json", "--genesis", dir + "/genesis.json", "--trust-cache", dir + "/watch-sets.bin"] + tls,
                                       seconds: 60)
        let changes = watched.output.split(separator: "\n").filter { $0.contains(#""type":"change""#) }
        #expect(watched.status == 0 && changes.count == 13 && changes.allSatisfy { $0.contains(#""verified":"yes""#) }, "\(watched.output)")

        // A forged set change (signed by the removed validator and the observer's key alone) is refused by the client's check.
        let changesAnswer = try await indexer.query(as: "parks-department") { c in
            try await c.ask(IndexerAPI.validatorChanges, ValidatorChangesQuery(after: 0), as: ValidatorChangesAnswer.self)
        }
        #expect(changesAnswer.items.map(\.height) == [promoted.height, removed.height])
        var sets = try TrustedValidatorSets(genesis: F.genesis)
        #expect(throws: Never.self, "the honest changes") { try sets.extend(with: changesAnswer) }
        var forged = changesAnswer
        forged.items[1].header.certificate = ChainFixtureKit.certificate(forged.items[1].header.header, chainID: F.chainID,
                                                                         keys: [F.validatorKeys[0], newKey])
        var fresh = try TrustedValidatorSets(genesis: F.genesis)
        #expect(throws: (any Error).self, "a change certified by 20 of 50 power") { try fresh.extend(with: forged) }

        // A new indexer starts from a validator's snapshot taken after both changes: the genesis set
        // alone cannot vouch for it, the changes the first indexer proves can (issue 18 item 1).
        let fresh2 = try await TestPostgres.database().settings
        let synced = try await TestIndexer(db: fresh2, validators: followed, ca: ca,
                                           stateSync: .genesisThroughChanges(from: HostPort(host: "127.0.0.1", port: indexer.port)))
        try await eventually("the state-synced indexer starts from a snapshot after the changes", seconds: 60) {
            await synced.runtime.proven.baseHeight > removed.height + LedgerLimits.validatorChangeDelayHeights
        }
        let base = await synced.runtime.proven.baseHeight
        try await synced.waitFor(height: base + 1)
        let bay = try await synced.query(as: "parks-department") { c in
            try await c.ask(IndexerAPI.record, RecordQuery(dataset: F.parking, subject: F.subject("bay-13"), purpose: "state sync check"), as: RecordAnswer.self)
        }
        try bay.verify(dataset: F.parking, subject: F.subject("bay-13"), validatorSet: sets)
        await synced.stop()

        // Offline: every service stopped; the cache the online commands kept verifies every saved answer.
        running.cancel()
        await indexer.stop()
        for n in nodes { await n.stop() }
        stopped = true
        for file in ["before.ans", "after.ans", "receipt.ans"] {
            let v = try await runCLI(["verify", dir + "/" + file] + trust)
            #expect(v.status == 0 && v.output.contains("verified:"), "\(file): \(v.output)")
        }
    }
}
