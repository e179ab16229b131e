import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import Testing
@testable import CityValidator

/// The gateway finds its validators through the registry only (no --validator flag): four real
/// validators register with a real `citychain-registry` on a real PostgreSQL, the gateway routes to
/// them, a validator killed -9 drops out when its lease expires and the gateway stops routing to it,
/// and a restarted one is routed to again.
@Suite(.serialized) struct GatewayDiscoveryTests {
    typealias F = MempoolFixture

    @Test func gatewayRoutesToRegisteredValidatorsAndDropsExpiredOnes() async throws {
        let gatewayBinary = ValidatorProcess.sibling("citychain-gateway"), registryBinary = ValidatorProcess.sibling("citychain-registry")
        try #require(FileManager.default.isExecutableFile(atPath: gatewayBinary.path), "build the executables first (swift build)")
        let db = try await TestPostgres.database()
        let cluster = try TestCluster()
        let genesisPath = cluster.root + "/genesis.json"
        try F.genesis.toJSON().write(to: URL(fileURLWithPath: genesisPath))
        let ports = TestCluster.freePorts(6)
        let addresses = ports.prefix(4).map { "127.0.0.1:\($0)" }
        let registryAddress = "127.0.0.1:\(ports[5])"
        let registry = try ValidatorProcess(name: "registry-a", role: .registry, port: ports[5], executable: registryBinary,
                                            dir: cluster.root, ca: cluster.ca) { cert in
            ["--listen", registryAddress] + cert + ["--postgres", db.url, "--log-level", "info"]
        }
        // Validators with a 2 s lease: heartbeats every ~0.7 s; a killed one is gone within ~2 s.
        let validators = try (0..<4).map { i in
            try ValidatorProcess(name: "validator-\(i)", port: ports[i], dir: cluster.root, ca: cluster.ca, genesisPath: genesisPath,
                                 validatorKey: Array(F.validatorKeys[i].rawRepresentation), peers: addresses,
                                 extra: ["--registry", registryAddress, "--registry-lease-seconds", "2"])
        }
        let gateway = try ValidatorProcess(name: "gateway-0", role: .gateway, port: ports[4], executable: gatewayBinary,
                                           dir: cluster.root, ca: cluster.ca) { cert in
            ["--listen", "127.0.0.1:\(ports[4])"] + cert + ["--genesis", genesisPath, "--registry", registryAddress, "--log-level", "info"]
        }
        try await registry.start()
        for v in validators { try await v.start() }
        try await gateway.start()
        let tax = try cluster.client(.agency("tax-office"))
        let g = gateway.address
        @Sendable func routed() async throws -> [String: Bool] {
            let s: GatewayStatus = try await tax.gateway(g, GatewayAPI.status, Empty())
            return Dictionary(uniqueKeysWithValues: s.validators.map { ($0.address, $0.healthy) })
        }
        do {
            try await eventually("the gateway routes to the four registered validators", seconds: 30) {
                let r = try await routed()
                return Set(r.keys) == Set(addresses) && r.values.allSatisfy { $0 }
            }
            let tx = F.parking(1, expires: 900)
            let o: GatewayOutcome = try await tax.gateway(g, GatewayAPI.submit, GatewaySubmit(transaction: tx, waitMillis: 20_000))
            guard case .committed(let receipt) = o.state else { Issue.record("not committed: \(o)"); return }
            try receipt.verify(id: tx.id, validatorSet: try ValidatorSet(F.genesis.validators))
            // The operator's view of the deployment shows the gateway's own upstream health.
            let ops = try cluster.ca.issue(role: .admin, name: "city-ops")
            try PEMFiles.write(ops.certificatePEM, to: cluster.root + "/city-ops.pem", secret: false)
            try PEMFiles.write(ops.privateKeyPEM, to: cluster.root + "/city-ops.key", secret: true)
            let status = try await runCLI(["status", "--registry", registryAddress, "--cert", cluster.root + "/city-ops.pem",
                                           "--key", cluster.root + "/city-ops.key", "--ca", cluster.root + "/gateway-0/ca.pem"])
            let gatewayLine = status.output.split(separator: "\n").first { $0.contains("gateway-0") }.map(String.init) ?? ""
            #expect(gatewayLine.contains("validators 4/4 healthy"), "status --registry shows the gateway's upstreams: \(status.output)")
            let json = try await runCLI(["status", "--registry", registryAddress, "--output", "json", "--cert", cluster.root + "/city-ops.pem",
                                         "--key", cluster.root + "/city-ops.key", "--ca", cluster.root + "/gateway-0/ca.pem"])
            let deployment = (try? JSONSerialization.jsonObject(with: Data(json.output.utf8))) as? [String: Any] ?? [:]
            let services = deployment["services"] as? [[String: Any]] ?? []
            #expect(json.status == 0 && (deployment["down"] as? Int) == 0 && services.count == (deployment["registered"] as? Int),
                    "status --registry --output json: \(json.output)")
            #expect(services.contains { ($0["kind"] as? String) == "gateway" && ($0["status"] as? String)?.contains("validators 4/4 healthy") == true },
                    "\(json.output)")

            await validators[3].kill9()
            try await eventually("the killed validator's lease expires and the gateway stops routing to it", seconds: 20) {
                try await routed()[validators[3].address] == nil
            }
            #expect(Set(try await routed().keys) == Set(addresses.prefix(3)))
            let after: GatewayOutcome = try await tax.gateway(g, GatewayAPI.submit, GatewaySubmit(transaction: F.parking(2, expires: 900), waitMillis: 20_000))
            guard case .committed = after.state else { Issue.record("not committed with 3 of 4: \(after)"); return }

            try await validators[3].start()
            try await eventually("the restarted validator registers again and is routed to", seconds: 30) {
                try await routed()[validators[3].address] == true
            }
        } catch {
            print("--- gateway\n\(gateway.tail())\n--- registry\n\(registry.tail())")
            throw error
        }
        let exit = await gateway.terminate()
        #expect(exit == 0, "the gateway exits cleanly on SIGTERM")
        for v in validators where v.isRunning { _ = await v.terminate() }
        _ = await registry.terminate()
    }
}
