import CityChainAPI
import CityEncoding
import CityLedger
import CityNode
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import ServiceLifecycle
import Testing
@testable import CityRegistry
@preconcurrency import Crypto

/// Two real `citychain-registry` processes on one PostgreSQL: a registration through A is found
/// through B, a watcher on B sees it arrive and its lease expire; A killed with SIGKILL, lookups
/// through B go on and an agent fails over to B; A restarted serves the same directory; SIGTERM
/// exits 0 within 10 s.
@Suite(.serialized) struct RegistryProcessTests {
    @Test(.timeLimit(.minutes(4))) func twoReplicasSurviveAKillAndARestart() async throws {
        let db = try await TestPostgres.database()
        let ca = try CertificateAuthority.create()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("registry-proc-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try RegistryProcess.writeCertificates(ca, names: ["registry-a", "registry-b"], dir: dir)
        let portA = try RegistryProcess.freePort(), portB = try RegistryProcess.freePort()
        // A registers itself (A first, then B) with a short lease: when A is killed, its lease runs out.
        let selfRegistration = ["--registry", "127.0.0.1:\(portA),127.0.0.1:\(portB)", "--registry-lease-seconds", "2"]
        var a = try RegistryProcess(dir: dir, name: "registry-a", port: portA, db: db, extra: selfRegistration)
        let b = try RegistryProcess(dir: dir, name: "registry-b", port: portB, db: db)
        let ops = try TestIdentity(ca, .agency("city-ops"), "city-ops")
        func lookup(_ r: HostPort, _ kind: ServiceKind? = nil) async throws -> [ServiceEntry] {
            try await ops.client().withConnection(host: r.host, port: r.port, expecting: .registry) {
                try await $0.ask(RegistryAPI.lookup, LookupRequest(kind: kind), as: LookupAnswer.self)
            }.entries
        }
        func answers(_ p: RegistryProcess) async throws -> Bool {
            guard p.process.isRunning else { throw TestFailure("citychain-registry on \(p.port) exited; log:\n\(p.log)") }
            return (try? await lookup(p.address)) != nil
        }
        try await eventually("registry A to serve", seconds: 30) { try await answers(a) }
        try await eventually("registry B to serve", seconds: 30) { try await answers(b) }
        #expect(!b.log.contains("hasn't been called yet"), "a normal start logs no PostgresClient warning: \(b.log)")

        // A watcher on B; a directory (the gateway's view) watching A first, then B; an indexer
        // registered through A with a short lease and no heartbeat.
        let recorder = try WatchRecorder(registry: b.address, identity: ops)
        let gateway = try TestIdentity(ca, .gateway, "gateway-1")
        let directory = RegistryDirectory(registries: [a.address, b.address], client: try gateway.client(), logger: testLogger,
                                          minRetryDelay: .milliseconds(100), maxRetryDelay: .seconds(1))
        let directoryRun = Task { await directory.run() }
        defer { directoryRun.cancel() }
        try await eventually("the directory to sync from A") { await directory.source == a.address }
        // The watcher's snapshot first: an indexer registered before it would be in the snapshot,
        // not an addition (under load the watch can open after the registration below).
        try await eventually("B's watcher to get its snapshot") { recorder.recorded.contains { if case .snapshot = $0 { true } else { false } } }
        let indexer = try TestIdentity(ca, .indexer, "indexer-1")
        _ = try await indexer.client().withConnection(host: "127.0.0.1", port: portA, expecting: .registry) {
            try await $0.ask(RegistryAPI.register, indexer.registration(.indexer, address: "127.0.0.1:7201", leaseMillis: 2_000), as: ServiceEntry.self)
        }
        #expect(try await lookup(b.address, .indexer).map(\.id) == ["indexer-1"], "a registration through A is found through B")
        try await eventually("A to register itself", seconds: 10) { try await lookup(b.address, .registry).map(\.id) == ["registry-a"] }
        try await eventually("B's watcher to see the indexer added") { recorder.saw { $0.adds("indexer-1") } }
        try await eventually("B's watcher to see the lease expire", seconds: 10) { recorder.saw { $0.removes("indexer-1", .expired) } }
        #expect(try await lookup(b.address, .indexer).isEmpty)

        // A validator's agent, registered through A (first in its list), heartbeating.
        let validator = try TestIdentity(ca, .validator, "validator-1")
        let agent = RegistryAgent(registries: [a.address, b.address], client: try validator.client(),
                                  registration: try .init(identity: validator.peer, nodeKey: Array(repeating: 9, count: 32), leaseMillis: 6_000),
                                  advertise: { HostPort(host: "127.0.0.1", port: 7101) }, logger: testLogger,
                                  minRetryDelay: .milliseconds(100), maxRetryDelay: .seconds(1))
        let group = ServiceGroup(services: [agent], logger: testLogger)
        let agentRun = Task { try await group.run() }
        try await eventually("the agent to register through A") { agent.status.registeredVia == a.address }
        try await eventually("B's watcher to see the validator") { recorder.saw { $0.adds("validator-1") } }
        try await eventually("the directory to list the validator") { await directory.entries(.validator).map(\.id) == ["validator-1"] }

        // SIGKILL A: B keeps answering, the agent fails over to B, the lease never lapses.
        let killed = try await a.stop(SIGKILL)
        #expect(killed.status == SIGKILL)
        try await eventually("the agent to fail over to B", seconds: 10) { agent.status.registeredVia == b.address }
        #expect(agent.status.registrations >= 2)
        for _ in 0..<8 {
            #expect(try await lookup(b.address, .validator).map(\.id) == ["validator-1"], "lookups through B after A died")
            try await Task.sleep(for: .milliseconds(500))   // spreads the lookups over 4 s, past the lease: what is under test
        }
        #expect(!recorder.saw { $0.removes("validator-1", .expired) }, "the failover kept the lease")
        // The killed A could not deregister: its lease ran out, and B's watcher saw it drop out.
        try await eventually("B's watcher to see A's lease expire", seconds: 10) { recorder.saw { $0.removes("registry-a", .expired) } }
        #expect(try await lookup(b.address, .registry).isEmpty)
        try await eventually("the directory to fail over to B", seconds: 10) { await directory.source == b.address }
        #expect(await directory.entries(.validator).map(\.id) == ["validator-1"])
        #expect(await directory.entries(.validator).first?.address == "127.0.0.1:7101")

        // Restart A on its port: it serves the same directory.
        a = try RegistryProcess(dir: dir, name: "registry-a", port: portA, db: db, extra: selfRegistration)
        try await eventually("restarted A to serve", seconds: 30) { try await answers(a) }
        let viaA = try await lookup(a.address, .validator)
        #expect(viaA.map(\.id) == ["validator-1"])
        #expect(viaA.first?.nodeKey == Array(repeating: 9, count: 32))
        try await eventually("restarted A to register itself again", seconds: 10) {
            try await lookup(b.address, .registry).map(\.address) == ["127.0.0.1:\(portA)"]
        }

        // The agent stops: it deregisters; the watcher on B sees it leave (not expire).
        await group.triggerGracefulShutdown()
        try await agentRun.value
        try await eventually("B's watcher to see the validator deregister") { recorder.saw { $0.removes("validator-1", .deregistered) } }
        try await eventually("the directory to drop the validator") { await directory.entries(.validator).isEmpty }
        #expect(recorder.failure == nil)

        // SIGTERM with a watch still open on B: both exit 0 within 10 s.
        for p in [a, b] {
            let stopped = try await p.stop(SIGTERM)
            #expect(stopped.status == 0, "exit status; log:\n\(p.log)")
            #expect(stopped.seconds < 10)
        }
        await recorder.stop()
    }

    /// A registry registering itself (`--registry` on its own address), `citychain registry list`
    /// and `citychain status --registry` against it, and its deregistration on SIGTERM.
    @Test(.timeLimit(.minutes(3))) func aServiceRegistersWithTheFlagAndTheCLIShowsTheDeployment() async throws {
        let db = try await TestPostgres.database()
        let ca = try CertificateAuthority.create()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("registry-cli-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try RegistryProcess.writeCertificates(ca, names: ["registry-r"], dir: dir)
        let ops = try ca.issue(role: .agency("city-ops"), name: "city-ops")
        try PEMFiles.write(ops.certificatePEM, to: dir + "/ops.pem", secret: false)
        try PEMFiles.write(ops.privateKeyPEM, to: dir + "/ops.key", secret: true)
        let port = try RegistryProcess.freePort()
        let r = try RegistryProcess(dir: dir, name: "registry-r", port: port, db: db,
                                    extra: ["--registry", "127.0.0.1:\(port)", "--registry-lease-seconds", "3"])
        let tlsArgs = ["--registry", "127.0.0.1:\(port)", "--cert", dir + "/ops.pem", "--key", dir + "/ops.key", "--ca", dir + "/ca.pem"]
        let self_ = "127.0.0.1:\(port)"
        try await eventually("the registry to register itself", seconds: 30) {
            try await withStore(db) { try await $0.live(kind: .registry).entries.map(\.address) } == [self_]
        }
        // A validator (an observer) started with --registry: it registers its bound address.
        let validatorCert = try ca.issue(role: .validator, name: "validator-1")
        try PEMFiles.write(validatorCert.certificatePEM, to: dir + "/validator-1.pem", secret: false)
        try PEMFiles.write(validatorCert.privateKeyPEM, to: dir + "/validator-1.key", secret: true)
        let key = Curve25519.Signing.PrivateKey().ledgerPublicKey
        let genesis = Genesis(chainID: "registry-test", genesisTimeMillis: 1_700_000_000_000,
                              validators: [Validator(publicKey: key, power: 1, name: "v")], adminThreshold: 1,
                              agencies: [GenesisAgency(id: try AgencyID("ops"), name: "Ops", isAdmin: true,
                                                       keys: [AgencyKey(keyID: 1, material: .signing(key))])], datasets: [])
        try genesis.toJSON().write(to: URL(fileURLWithPath: dir + "/genesis.json"))
        let validator = Process()
        validator.executableURL = URL(fileURLWithPath: RegistryProcess.binary).deletingLastPathComponent().appendingPathComponent("citychain-validator")
        validator.arguments = ["--listen", "127.0.0.1:0", "--cert", dir + "/validator-1.pem", "--key", dir + "/validator-1.key",
                               "--ca", dir + "/ca.pem", "--genesis", dir + "/genesis.json", "--data-dir", dir + "/validator-data",
                               "--registry", self_, "--registry-lease-seconds", "3", "--log-level", "warning"]
        let validatorLog = FileHandle(forWritingAtPath: "/dev/null")
        validator.standardOutput = validatorLog
        validator.standardError = validatorLog
        try validator.run()
        defer { if validator.isRunning { kill(validator.processIdentifier, SIGKILL) } }
        try await eventually("the validator to register", seconds: 30) {
            try await withStore(db) { try await $0.live(kind: .validator).entries }.map(\.id) == ["validator-1"]
        }
        let validatorEntry = try await withStore(db) { try await $0.live(kind: .validator).entries }[0]
        #expect(HostPort(validatorEntry.address)?.port ?? 0 > 0, "the bound port replaces port 0: \(validatorEntry.address)")
        #expect(validatorEntry.nodeKey.isEmpty, "an observer has no consensus key")
        // A registration whose address answers nothing: status shows it down.
        let indexer = try TestIdentity(ca, .indexer, "indexer-gone")
        _ = try await indexer.client().withConnection(host: "127.0.0.1", port: port, expecting: .registry) {
            try await $0.ask(RegistryAPI.register, indexer.registration(.indexer, address: "127.0.0.1:1", leaseMillis: 60_000), as: ServiceEntry.self)
        }

        let json = try await runCLI(["registry", "list", "--output", "json"] + tlsArgs)
        #expect(json.status == 0, "\(json.output)")
        let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        let services = object?["services"] as? [[String: Any]] ?? []
        #expect(services.compactMap { $0["id"] as? String } == ["validator-1", "indexer-gone", "registry-r"], "\(json.output)")
        #expect(services.allSatisfy { $0["live"] as? Bool == true })
        let table = try await runCLI(["registry", "list", "--kind", "gateway"] + tlsArgs)
        #expect(table.status == 0 && table.output.contains("0 service(s)"), "\(table.output)")
        let bad = try await runCLI(["registry", "list", "--kind", "mayor"] + tlsArgs)
        #expect(bad.status != 0 && bad.output.contains("--kind 'mayor'"), "\(bad.output)")

        // A generous probe timeout: the test box may be loaded (the default is 2 s).
        let status = try await runCLI(["status", "--probe-timeout-seconds", "15"] + tlsArgs, seconds: 60)
        #expect(status.status == 0, "\(status.output)")
        let lines = status.output.split(separator: "\n").map(String.init)
        let registryLine = lines.first { $0.hasPrefix("registry") && $0.contains("registry-r") } ?? ""
        let indexerLine = lines.first { $0.hasPrefix("indexer") && $0.contains("indexer-gone") } ?? ""
        #expect(registryLine.contains(" up ") && registryLine.contains(" ms"), "\(status.output)")
        #expect(indexerLine.contains(" down "), "\(status.output)")
        let validatorLine = lines.first { $0.hasPrefix("validator") && $0.contains("validator-1") } ?? ""
        #expect(validatorLine.contains(" up ") && validatorLine.contains("height 0") && validatorLine.contains("observer"), "\(status.output)")
        #expect(status.output.contains("3 service(s) registered, 1 down"), "\(status.output)")
        // SIGTERM: the validator deregisters before it stops.
        kill(validator.processIdentifier, SIGTERM)
        try await eventually("the validator exits", seconds: 10) { !validator.isRunning }
        #expect(!validator.isRunning && validator.terminationStatus == 0)
        #expect(try await withStore(db) { try await $0.live(kind: .validator).entries }.isEmpty)

        // SIGTERM: the registry's own agent deregisters (through itself) before the server stops.
        let stopped = try await r.stop(SIGTERM)
        #expect(stopped.status == 0 && stopped.seconds < 10, "log:\n\(r.log)")
        #expect(try await withStore(db) { try await $0.live(kind: .registry).entries }.isEmpty, "log:\n\(r.log)")
    }
}
