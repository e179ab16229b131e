import CityConsensus
import CityPKI
import CityWire
import Foundation
import ServiceLifecycle
@testable import CityValidator

/// A real validator runtime (`citychain-validator`'s) in the test process, alone in its set
/// (`F.soloGenesis`, key 0), fast timeouts, in a temporary data directory; `stop()` ends it and
/// removes the directory.
final class SoloValidator: Sendable {
    let runtime: ValidatorRuntime
    let port: Int
    let dir: String
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    init(ca: CertificateAuthority, snapshotEveryBlocks: UInt64? = nil) async throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("indexer-solo-validator-\(UUID())").path
        var consensus = ConsensusConfig(chainID: F.chainID)
        (consensus.proposeBaseMillis, consensus.prevoteBaseMillis, consensus.precommitBaseMillis) = (500, 200, 200)
        var settings = ValidatorSettings(name: "validator-0", advertise: "", peers: [],
                                         policy: BlockPolicy(maxBlockBytes: 3 << 20, blockIntervalMillis: 0, heartbeatIntervalMillis: 1000),
                                         mempool: MempoolLimits(), consensus: consensus)
        if let snapshotEveryBlocks { settings.snapshotEveryBlocks = snapshotEveryBlocks }
        runtime = try ValidatorRuntime.assemble(settings: settings, genesis: F.soloGenesis, dataDirectory: dir,
                                                signer: Ed25519Signer(F.validatorKeys[0]),
                                                tls: TLSIdentity(issued: ca.issue(role: .validator, name: "validator-0")),
                                                host: "127.0.0.1", port: 0, wire: WireConfiguration(), logger: testLogger)
        let group = ServiceGroup(services: [runtime.node.server, runtime.engine], gracefulShutdownSignals: [], logger: testLogger)
        self.group = group
        task = Task { try await group.run() }
        port = try await runtime.node.server.listeningAddress.port!
    }

    var address: HostPort { HostPort(host: "127.0.0.1", port: port) }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        try? FileManager.default.removeItem(atPath: dir)
    }
}
