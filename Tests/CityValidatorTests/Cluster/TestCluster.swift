import CityTestSupport
import CityChainAPI
import CityConsensus
import CityEncoding
import CityLedger
import CityNode
import CityPKI
import CityWire
import Foundation
import Logging
import ServiceLifecycle
@testable import CityValidator
@preconcurrency import Crypto

/// Validators running in this test process on 127.0.0.1 (port 0), over real mutual TLS with
/// certificates made at test time, each with its own data directory.
final class TestCluster: Sendable {
    let ca: CertificateAuthority
    let root: String
    let genesis: Genesis
    let logger: Logger

    init(genesis: Genesis = MempoolFixture.genesis) throws {
        ca = try CertificateAuthority.create()
        root = FileManager.default.temporaryDirectory.appendingPathComponent("cluster-\(UUID())").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        self.genesis = genesis
        var l = Logger(label: "test.cluster")
        l.logLevel = ProcessInfo.processInfo.environment["CITYCHAIN_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        logger = l
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Settings for fast tests: short timeouts, no block interval, a 1 s heartbeat.
    static func settings(name: String, peers: [String] = []) -> ValidatorSettings {
        var c = ConsensusConfig(chainID: MempoolFixture.chainID)
        (c.proposeBaseMillis, c.proposeDeltaMillis) = (800, 200)
        (c.prevoteBaseMillis, c.prevoteDeltaMillis) = (300, 100)
        (c.precommitBaseMillis, c.precommitDeltaMillis) = (300, 100)
        c.rebroadcastMillis = 400
        var s = ValidatorSettings(name: name, advertise: "", peers: peers,
                                  policy: BlockPolicy(maxBlockBytes: 3 << 20, blockIntervalMillis: 0, heartbeatIntervalMillis: 1000),
                                  mempool: MempoolLimits(), consensus: c)
        s.announceMillis = 300
        return s
    }

    /// A client with `role`'s certificate.
    func client(_ role: Role = .admin) throws -> WireClient {
        try WireClient(tls: TLSSetup.client(TLSIdentity(issued: ca.issue(role: role, name: "client-\(role)"))), logger: logger)
    }

    /// Validator `index` (key from the fixture; nil signer for an observer), listening on `port`
    /// (0: any, and peers are connected by `withValidators`) and gossiping with `peers`.
    func makeValidator(_ index: Int, signer: (any ConsensusSigner)?, port: Int = 0, peers: [String] = [],
                       snapshotEveryBlocks: UInt64 = 1000,
                       faults: ValidatorSettings.ValidatorFaults = .init()) throws -> TestValidator {
        let name = "validator-\(index)"
        let tls = try TLSIdentity(issued: ca.issue(role: .validator, name: name))
        var settings = Self.settings(name: name, peers: peers)
        settings.snapshotEveryBlocks = snapshotEveryBlocks
        settings.faults = faults
        if port != 0 { settings.advertise = "127.0.0.1:\(port)" }
        settings.peers.removeAll { $0 == settings.advertise }
        var wire = WireConfiguration()
        wire.shutdownGracePeriod = .milliseconds(500)
        let runtime = try ValidatorRuntime.assemble(settings: settings, genesis: genesis, dataDirectory: root + "/" + name,
                                                    signer: signer, tls: tls, host: "127.0.0.1", port: port, wire: wire, logger: logger)
        return TestValidator(runtime: runtime, logger: logger)
    }

    /// `count` free loopback ports (the test kit's `freePorts`).
    static func freePorts(_ count: Int) -> [Int] { CityTestSupport.freePorts(count) }

    /// Validators 0..<count of the fixture set on fixed ports, each configured with the others as peers.
    func makeValidators(_ count: Int = 4, ports: [Int], snapshotEveryBlocks: UInt64 = 1000) throws -> [TestValidator] {
        let addresses = ports.map { "127.0.0.1:\($0)" }
        return try (0..<count).map {
            try makeValidator($0, signer: Self.signer($0), port: ports[$0], peers: addresses, snapshotEveryBlocks: snapshotEveryBlocks)
        }
    }

    /// The fixture's validator `i` signer.
    static func signer(_ i: Int) -> Ed25519Signer { Ed25519Signer(MempoolFixture.validatorKeys[i]) }
}

/// One in-process validator: its runtime and the ServiceGroup running it.
final class TestValidator: Sendable {
    let runtime: ValidatorRuntime
    let group: ServiceGroup

    private let done: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation) = AsyncStream.makeStream()

    init(runtime: ValidatorRuntime, logger: Logger) {
        self.runtime = runtime
        group = ServiceGroup(services: [runtime.node.server, runtime.engine], gracefulShutdownSignals: [], logger: logger)
    }

    /// Runs until stopped; then its files are closed.
    func run() async throws {
        defer { done.continuation.finish() }
        try await group.run()
    }

    var node: ValidatorNode { runtime.engine.node }

    /// The address it listens on (once running).
    func address() async throws -> String {
        guard let port = try await runtime.node.server.listeningAddress.port else { throw CancellationError() }
        return "127.0.0.1:\(port)"
    }

    /// Stops it and waits until it has closed its storage (its data directory can be reopened).
    func stop() async {
        await group.triggerGracefulShutdown()
        for await _ in done.stream {}
    }
}

/// Runs `validators` for the duration of `body`, wiring every pair as gossip peers, then stops them.
func withValidators<T: Sendable>(_ validators: [TestValidator], connect: Bool = true,
                                 _ body: @Sendable ([String]) async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for v in validators { group.addTask { try await v.run() } }
        var addresses: [String] = []
        for v in validators { addresses.append(try await v.address()) }
        if connect {
            for (i, v) in validators.enumerated() { for (j, a) in addresses.enumerated() where i != j { v.runtime.engine.addPeer(a) } }
        }
        do {
            let result = try await body(addresses)
            for v in validators { await v.stop() }
            try await group.waitForAll()
            return result
        } catch {
            for v in validators { await v.stop() }
            try? await group.waitForAll()
            throw error
        }
    }
}
