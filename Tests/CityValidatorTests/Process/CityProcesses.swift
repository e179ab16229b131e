import CityLedger
import CityPKI
import CityTestSupport
import Foundation
@testable import CityValidator

/// A small city for the tests that drive clients against real processes (the Python client and
/// SDK, the console): four `citychain-validator` processes on `genesis`, a `citychain-indexer` on
/// a private PostgreSQL and a `citychain-gateway` in front of them, all on loopback with
/// certificates of one test CA.
struct CityProcesses {
    let cluster: TestCluster
    let genesisPath: String
    let validators: [ValidatorProcess]
    let indexer: ValidatorProcess
    let gateway: ValidatorProcess

    var root: String { cluster.root }
    var addresses: [String] { validators.map(\.address) }

    /// Starts the processes (each waited for until it answers).
    static func start(genesis: Genesis, auditAgency: String = "tax-office") async throws -> CityProcesses {
        let cluster = try TestCluster()
        let genesisPath = cluster.root + "/genesis.json"
        try genesis.toJSON().write(to: URL(fileURLWithPath: genesisPath))
        let ports = TestCluster.freePorts(6)
        let addresses = ports.prefix(4).map { "127.0.0.1:\($0)" }
        let validators = try (0..<4).map { i in
            try ValidatorProcess(name: "validator-\(i)", port: ports[i], dir: cluster.root, ca: cluster.ca, genesisPath: genesisPath,
                                 validatorKey: Array(MempoolFixture.validatorKeys[i].rawRepresentation), peers: addresses)
        }
        let db = try await TestPostgres.database()
        let indexer = try ValidatorProcess(name: "indexer-0", role: .indexer, port: ports[4], executable: ValidatorProcess.sibling("citychain-indexer"),
                                           dir: cluster.root, ca: cluster.ca) { cert in
            ["--listen", "127.0.0.1:\(ports[4])"] + cert + ["--genesis", genesisPath, "--postgres", db.url, "--audit-agency", auditAgency,
                                                            "--log-level", "info"] + addresses.flatMap { ["--validator", $0] }
        }
        let gateway = try ValidatorProcess(name: "gateway-0", role: .gateway, port: ports[5], executable: ValidatorProcess.sibling("citychain-gateway"),
                                           dir: cluster.root, ca: cluster.ca) { cert in
            ["--listen", "127.0.0.1:\(ports[5])"] + cert + ["--genesis", genesisPath, "--indexer", "127.0.0.1:\(ports[4])", "--log-level", "info"]
                + addresses.flatMap { ["--validator", $0] }
        }
        for v in validators { try await v.start() }
        try await indexer.start()
        try await gateway.start()
        try PEMFiles.write(cluster.ca.certificatePEM, to: cluster.root + "/ca.pem", secret: false)
        return CityProcesses(cluster: cluster, genesisPath: genesisPath, validators: validators, indexer: indexer, gateway: gateway)
    }

    /// Stops the gateway, the indexer and the validators still running.
    func stop() async {
        _ = await gateway.terminate()
        _ = await indexer.terminate()
        for v in validators where v.isRunning { _ = await v.terminate() }
    }

    /// Issues `agency`'s certificate into `root/<agency>.pem` and `.key` (the CA is `root/ca.pem`)
    /// and returns the CLI's TLS options for it.
    @discardableResult
    func issueAgency(_ agency: String) throws -> [String] {
        let issued = try cluster.ca.issue(role: .agency(agency), name: agency)
        try PEMFiles.write(issued.certificatePEM, to: root + "/\(agency).pem", secret: false)
        try PEMFiles.write(issued.privateKeyPEM, to: root + "/\(agency).key", secret: true)
        return tls(agency)
    }

    /// The CLI's TLS options for an agency issued with `issueAgency`.
    func tls(_ agency: String) -> [String] {
        ["--cert", root + "/\(agency).pem", "--key", root + "/\(agency).key", "--ca", root + "/ca.pem"]
    }
}
