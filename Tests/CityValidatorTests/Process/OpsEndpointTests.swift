import CityPKI
import CityTestSupport
import Foundation
import Testing
@testable import CityValidator

/// The ops endpoints of the four real service binaries (docs/METRICS.md): each started with
/// `--ops-listen` answers /healthz, /readyz (200 once ready) and /metrics with its metrics, and
/// exits 0 on SIGTERM; SIGHUP makes a validator serve a newly issued certificate to new connections.
@Suite(.serialized) struct OpsEndpointTests {
    typealias F = MempoolFixture

    static func get(_ port: Int, _ path: String) async throws -> HTTPGet.Response {
        try await HTTPGet.fetch(port: port, path: path)
    }

    /// The value of the first sample of `name` (with `labels` inside its braces, if given), or nil.
    static func sample(_ body: String, _ name: String, labels: String? = nil) -> Double? {
        for line in body.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count >= 2 else { continue }
            let series = String(parts[0])
            let bare = series.split(separator: "{").first.map(String.init) ?? series
            guard bare == name else { continue }
            if let labels, !series.contains(labels) { continue }
            return Double(parts[1])
        }
        return nil
    }

    /// Waits until the process's ops port answers /healthz 200 and /readyz 200, then returns /metrics.
    static func readyMetrics(_ p: ValidatorProcess, opsPort: Int) async throws -> String {
        do {
            try await eventually("\(p.name) answers /healthz 200", seconds: 60) {
                (try? await get(opsPort, "/healthz"))?.status == 200
            }
            try await eventually("\(p.name) answers /readyz 200", seconds: 60) {
                (try? await get(opsPort, "/readyz"))?.status == 200
            }
        } catch {
            let readyz = (try? await get(opsPort, "/readyz")).map { "\($0)" } ?? "no answer"
            Issue.record("\(p.name): \(error); /readyz: \(readyz)\n--- log\n\(p.tail())")
            throw error
        }
        let metrics = try await get(opsPort, "/metrics")
        #expect(metrics.status == 200)
        return metrics.body
    }

    static func expectMetrics(_ body: String, _ names: [String], service: String) {
        for name in names {
            #expect(sample(body, name) != nil, "\(service) /metrics has \(name):\n\(body)")
        }
        #expect(sample(body, "citychain_build_info", labels: "service=\"\(service)\"") == 1, "\(service) reports its build:\n\(body)")
        #expect(sample(body, "citychain_wire_connections") != nil, "\(service) reports its open wire connections")
    }

    @Test func everyServiceAnswersOpsEndpointsAndExitsCleanlyOnSIGTERM() async throws {
        let registryBinary = ValidatorProcess.sibling("citychain-registry"), indexerBinary = ValidatorProcess.sibling("citychain-indexer")
        let gatewayBinary = ValidatorProcess.sibling("citychain-gateway")
        try #require(FileManager.default.isExecutableFile(atPath: gatewayBinary.path), "build the executables first (swift build)")
        let registryDB = try await TestPostgres.database()
        let indexerDB = try await TestPostgres.database()
        let cluster = try TestCluster()
        let genesisPath = cluster.root + "/genesis.json"
        try F.genesis.toJSON().write(to: URL(fileURLWithPath: genesisPath))
        let ports = TestCluster.freePorts(8)
        let ops = (validator: ports[1], registry: ports[3], indexer: ports[5], gateway: ports[7])

        let validator = try ValidatorProcess(name: "validator-0", port: ports[0], dir: cluster.root, ca: cluster.ca, genesisPath: genesisPath,
                                             validatorKey: Array(F.validatorKeys[0].rawRepresentation), peers: [],
                                             extra: ["--ops-listen", "127.0.0.1:\(ops.validator)", "--log-format", "json"])
        let registry = try ValidatorProcess(name: "registry-0", role: .registry, port: ports[2], executable: registryBinary,
                                            dir: cluster.root, ca: cluster.ca) { cert in
            ["--listen", "127.0.0.1:\(ports[2])"] + cert + ["--postgres", registryDB.url, "--ops-listen", "127.0.0.1:\(ops.registry)"]
        }
        let indexer = try ValidatorProcess(name: "indexer-0", role: .indexer, port: ports[4], executable: indexerBinary,
                                           dir: cluster.root, ca: cluster.ca) { cert in
            ["--listen", "127.0.0.1:\(ports[4])"] + cert + ["--genesis", genesisPath, "--postgres", indexerDB.url,
                                                            "--validator", "127.0.0.1:\(ports[0])", "--audit-agency", "admin-a",
                                                            "--ops-listen", "127.0.0.1:\(ops.indexer)"]
        }
        let gateway = try ValidatorProcess(name: "gateway-0", role: .gateway, port: ports[6], executable: gatewayBinary,
                                           dir: cluster.root, ca: cluster.ca) { cert in
            ["--listen", "127.0.0.1:\(ports[6])"] + cert + ["--genesis", genesisPath, "--validator", "127.0.0.1:\(ports[0])",
                                                            "--indexer", "127.0.0.1:\(ports[4])", "--ops-listen", "127.0.0.1:\(ops.gateway)",
                                                            "--log-format", "json"]
        }
        try await validator.start()
        try await registry.start()
        try await indexer.start()
        try await gateway.start()

        let v = try await Self.readyMetrics(validator, opsPort: ops.validator)
        Self.expectMetrics(v, ["citychain_validator_height", "citychain_validator_round", "citychain_validator_commits_total",
                               "citychain_validator_mempool_transactions", "citychain_validator_peers_connected",
                               "citychain_validator_equivocation_evidence_total", "citychain_validator_block_log_disk_bytes"], service: "validator")
        #expect(Self.sample(v, "citychain_validator_first_block_height") == 1, "an archive node holds block 1:\n\(v)")
        let r = try await Self.readyMetrics(registry, opsPort: ops.registry)
        Self.expectMetrics(r, ["citychain_registry_watches"], service: "registry")
        #expect(Self.sample(r, "citychain_registry_entries", labels: "kind=\"validator\"") == 0, "no validator registered:\n\(r)")
        let i = try await Self.readyMetrics(indexer, opsPort: ops.indexer)
        Self.expectMetrics(i, ["citychain_indexer_height", "citychain_indexer_lag_blocks", "citychain_indexer_refused_blocks_total"],
                           service: "indexer")
        let g = try await Self.readyMetrics(gateway, opsPort: ops.gateway)
        Self.expectMetrics(g, ["citychain_gateway_head_height", "citychain_gateway_queries_total"], service: "gateway")
        #expect(Self.sample(g, "citychain_gateway_upstreams_healthy", labels: "kind=\"validator\"") == 1, "\(g)")
        #expect(Self.sample(g, "citychain_gateway_upstreams_healthy", labels: "kind=\"indexer\"") == 1, "\(g)")
        // The gateway and the indexer probe the validator over the wire: its requests are counted.
        let later = try await Self.get(ops.validator, "/metrics").body
        #expect(Self.sample(later, "citychain_wire_requests_total") ?? 0 > 0, "\(later)")
        #expect(Self.sample(later, "citychain_wire_connections") ?? 0 >= 1, "the indexer and gateway hold connections:\n\(later)")

        // --log-format json: every line the validator wrote is a JSON object with the fields.
        let lines = validator.log(from: 0).split(separator: "\n").filter { !$0.isEmpty }
        #expect(!lines.isEmpty)
        for line in lines.prefix(20) {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
            #expect(object?["level"] != nil && object?["message"] != nil && object?["ts"] != nil && object?["label"] == "citychain.validator",
                    "a JSON log line: \(line)")
        }

        for p in [gateway, indexer, registry, validator] {
            let status = await p.terminate(seconds: 30)
            #expect(status == 0, "\(p.name) exits 0 on SIGTERM; its log ends:\n\(p.tail())")
        }
    }

    /// The certificate a new TLS connection to `port` is served (PEM body, whitespace removed), via openssl s_client.
    static func servedCertificate(port: Int, dir: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_3", "-cert", dir + "/client.pem", "-key", dir + "/client.key",
                       "-CAfile", dir + "/ca.pem"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return pemBody(String(decoding: data, as: UTF8.self))
    }

    static func pemBody(_ text: String) -> String {
        guard let begin = text.range(of: "-----BEGIN CERTIFICATE-----"),
              let end = text.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<text.endIndex) else { return "" }
        return text[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
    }

    @Test func sighupServesANewCertificateToNewConnectionsAndKeepsServing() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "openssl is needed to read the served certificate")
        let cluster = try TestCluster()
        let genesisPath = cluster.root + "/genesis.json"
        try F.genesis.toJSON().write(to: URL(fileURLWithPath: genesisPath))
        let ports = TestCluster.freePorts(2)
        let validator = try ValidatorProcess(name: "validator-0", port: ports[0], dir: cluster.root, ca: cluster.ca, genesisPath: genesisPath,
                                             validatorKey: Array(F.validatorKeys[0].rawRepresentation), peers: [],
                                             extra: ["--ops-listen", "127.0.0.1:\(ports[1])"])
        let base = cluster.root + "/validator-0"
        let client = try cluster.ca.issue(role: .agency("tax-office"), name: "tax-office")
        try PEMFiles.write(client.certificatePEM, to: base + "/client.pem", secret: false)
        try PEMFiles.write(client.privateKeyPEM, to: base + "/client.key", secret: true)
        try await validator.start()
        defer { Task { _ = await validator.terminate() } }

        let original = try String(contentsOfFile: base + "/cert.pem", encoding: .utf8)
        #expect(try Self.servedCertificate(port: ports[0], dir: base) == Self.pemBody(original))

        // Rotate: a new certificate for the same validator, written over the files, then SIGHUP.
        let rotated = try cluster.ca.issue(role: .validator, name: "validator-0")
        #expect(Self.pemBody(rotated.certificatePEM) != Self.pemBody(original))
        try PEMFiles.write(rotated.certificatePEM, to: base + "/cert.pem", secret: false)
        try PEMFiles.write(rotated.privateKeyPEM, to: base + "/cert.key", secret: true)
        validator.send(SIGHUP)
        try await eventually("new connections are served the rotated certificate", seconds: 30) {
            try Self.servedCertificate(port: ports[0], dir: base) == Self.pemBody(rotated.certificatePEM)
        }
        #expect(validator.log(from: 0).contains("certificate reloaded"))
        #expect(validator.isRunning)

        // A broken file: the reload fails, is logged, and the last good certificate stays in use.
        try Data("not a certificate".utf8).write(to: URL(fileURLWithPath: base + "/cert.pem"))
        validator.send(SIGHUP)
        try await eventually("the failed reload is logged", seconds: 30) {
            validator.log(from: 0).contains("certificate reload on SIGHUP failed")
        }
        #expect(try Self.servedCertificate(port: ports[0], dir: base) == Self.pemBody(rotated.certificatePEM))
        #expect((try await Self.get(ports[1], "/healthz")).status == 200)
        let status = await validator.terminate(seconds: 30)
        #expect(status == 0, "exits 0 on SIGTERM:\n\(validator.tail())")
    }
}
