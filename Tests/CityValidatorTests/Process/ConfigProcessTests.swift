import CityTestSupport
import CityLedger
import CityNode
import CityPKI
import CityWire
import Foundation
import Logging
import Testing

/// The real executables with YAML configs (docs/CONFIG.md): a missing key, a wrong type and an
/// unreadable certificate each stop every service at once with exit status 78 and a message naming
/// the key; good configs start the validator (--config) and the gateway (CITYCHAIN_CONFIG, with an
/// environment variable over the file), which answer node.info and stop cleanly on SIGTERM.
@Suite(.serialized) struct ConfigProcessTests {
    static let services = ["citychain-validator", "citychain-indexer", "citychain-gateway", "citychain-registry"]

    /// A test directory with a CA, a certificate for each role, and a genesis file.
    final class Files {
        let dir: String
        let ca: CertificateAuthority

        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("config-proc-\(UUID())").path
            ca = try CertificateAuthority.create()
            try FileManager.default.createDirectory(atPath: dir + "/tls", withIntermediateDirectories: true)
            for role in [Role.validator, .indexer, .gateway, .registry] {
                let issued = try ca.issue(role: role, name: "\(role)-1")
                try PEMFiles.write(issued.certificatePEM, to: dir + "/tls/\(role).pem", secret: false)
                try PEMFiles.write(issued.privateKeyPEM, to: dir + "/tls/\(role).key", secret: true)
            }
            try PEMFiles.write(ca.certificatePEM, to: dir + "/tls/ca.pem", secret: false)
            try MempoolFixture.genesis.toJSON().write(to: URL(fileURLWithPath: dir + "/genesis.json"))
        }

        /// A config whose every required key is set, for `service`, with relative paths.
        func config(_ service: String, listen: String = "127.0.0.1:0") -> String {
            let role = service.replacingOccurrences(of: "citychain-", with: "")
            var yaml = "listen: \(listen)\ntls:\n  cert: tls/\(role).pem\n  key: tls/\(role).key\n  ca: tls/ca.pem\nlog:\n  level: info\n"
            switch role {
            case "validator": yaml += "genesis: genesis.json\ndataDir: data\nblock:\n  heartbeatMillis: 1000\nconsensus:\n  proposeBaseMillis: 1000\n"
            case "indexer": yaml += "genesis: genesis.json\npostgres: postgres://citychain@127.0.0.1:9/index\nvalidators: [127.0.0.1:9]\naudit:\n  agency: tax-office\n"
            case "gateway": yaml += "genesis: genesis.json\nvalidators: [127.0.0.1:9]\n"
            default: yaml += "postgres: postgres://citychain@127.0.0.1:9/registry\n"
            }
            return yaml
        }

        /// Writes `text` as `name` in the directory and returns its path.
        func write(_ name: String, _ text: String) throws -> String {
            try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/" + name))
            return dir + "/" + name
        }

        deinit { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// Runs `binary` until it exits (at most 60 s, then it is killed and the test fails).
    static func runToExit(_ binary: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, stderr: String) {
        let exe = ValidatorProcess.sibling(binary)
        try #require(FileManager.default.isExecutableFile(atPath: exe.path), "build the executables first (swift build)")
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("config-stderr-\(UUID())").path
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let p = Process()
        p.executableURL = exe
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CITYCHAIN_") }.merging(environment) { $1 }
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        if !(await waitForExit(p, seconds: 60)) {
            await stopProcess(p, signal: SIGKILL)
            Issue.record("\(binary) kept running with a bad config")
        }
        return (p.terminationStatus, String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self))
    }

    @Test(arguments: ConfigProcessTests.services)
    func aMissingKeyStopsTheService(service: String) async throws {
        let files = try Files()
        let text = files.config(service).replacingOccurrences(of: "  cert: tls/", with: "  certificate: tls/")
        let path = try files.write("bad.yaml", text)
        let (status, stderr) = try await Self.runToExit(service, ["--config", path])
        #expect(status == 78, "\(service) exits with EX_CONFIG; stderr: \(stderr)")
        #expect(stderr.contains("missing 'tls.cert': set it in \(path), or CITYCHAIN_TLS_CERT, or pass --cert"), "\(stderr)")
        #expect(stderr.contains("unknown key 'tls.certificate' in \(path) (line 3); did you mean 'tls.cert'?"), "\(stderr)")
    }

    @Test(arguments: ConfigProcessTests.services)
    func aWrongTypeStopsTheService(service: String) async throws {
        let files = try Files()
        let bad = ["citychain-validator": ("block.intervalMillis", "fast"), "citychain-indexer": ("maxBlocksPerWrite", "lots"),
                   "citychain-gateway": ("connectionsPerUpstream", "many"), "citychain-registry": ("watchPollMillis", "often")][service]!
        let path = try files.write("bad.yaml", files.config(service) + "\(bad.0): \(bad.1)\n")
        let (status, stderr) = try await Self.runToExit(service, ["--config", path])
        #expect(status == 78, "\(service) exits with EX_CONFIG; stderr: \(stderr)")
        #expect(stderr.contains("\(service): config: key '\(bad.0)' in \(path)"), "\(stderr)")
        #expect(stderr.contains("must be an integer") && stderr.contains("(got \"\(bad.1)\")"), "\(stderr)")
        // The same mistake in the environment names the variable.
        let env = ConfigSchema.environmentVariable(for: bad.0)
        let fromEnv = try await Self.runToExit(service, ["--config", try files.write("good.yaml", files.config(service))], environment: [env: bad.1])
        #expect(fromEnv.status == 78)
        #expect(fromEnv.stderr.contains("\(env) (key '\(bad.0)') must be an integer"), "\(fromEnv.stderr)")
    }

    @Test(arguments: ConfigProcessTests.services)
    func anUnreadableCertificateStopsTheService(service: String) async throws {
        let files = try Files()
        let role = service.replacingOccurrences(of: "citychain-", with: "")
        let path = try files.write("bad.yaml", files.config(service).replacingOccurrences(of: "cert: tls/\(role).pem", with: "cert: tls/gone.pem"))
        let (status, stderr) = try await Self.runToExit(service, ["--config", path])
        #expect(status == 78, "\(service) exits with EX_CONFIG; stderr: \(stderr)")
        #expect(stderr.contains("key 'tls.cert' in \(path) (line 3) = \(files.dir)/tls/gone.pem: cannot read it (No such file or directory)"), "\(stderr)")
        // A file that is not a certificate is named too.
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: files.dir + "/tls/gone.pem"))
        let junk = try await Self.runToExit(service, ["--config", path])
        #expect(junk.status == 78)
        #expect(junk.stderr.contains("key 'tls.cert'") && junk.stderr.contains("is not a PEM certificate"), "\(junk.stderr)")
    }

    @Test func aGoodConfigStartsTheValidator() async throws {
        let files = try Files()
        let port = TestCluster.freePorts(1)[0]
        let path = try files.write("validator.yaml", files.config("citychain-validator", listen: "127.0.0.1:\(port)"))
        try await runAndStop("citychain-validator", ["--config", path], environment: [:], files: files, port: port, role: .validator)
        #expect(FileManager.default.fileExists(atPath: files.dir + "/data"), "dataDir is relative to the file")
    }

    @Test func aGoodConfigStartsTheGatewayWithTheEnvironmentOverTheFile() async throws {
        let files = try Files()
        let ports = TestCluster.freePorts(2)
        let path = try files.write("gateway.yaml", files.config("citychain-gateway", listen: "127.0.0.1:\(ports[0])"))
        try await runAndStop("citychain-gateway", [], environment: ["CITYCHAIN_CONFIG": path, "CITYCHAIN_LISTEN": "127.0.0.1:\(ports[1])"],
                             files: files, port: ports[1], role: .gateway)
    }

    /// Starts `binary`, waits until node.info answers on `port` with `role`, then SIGTERM and exit 0.
    func runAndStop(_ binary: String, _ arguments: [String], environment: [String: String], files: Files, port: Int, role: Role) async throws {
        let exe = ValidatorProcess.sibling(binary)
        try #require(FileManager.default.isExecutableFile(atPath: exe.path), "build the executables first (swift build)")
        let logPath = files.dir + "/\(binary).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let p = Process()
        p.executableURL = exe
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CITYCHAIN_") }.merging(environment) { $1 }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        p.standardError = log
        p.standardOutput = log
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        func logText() -> String { String(decoding: FileManager.default.contents(atPath: logPath) ?? Data(), as: UTF8.self) }

        var logger = Logger(label: "config-test")
        logger.logLevel = .critical
        let client = try WireClient(tls: TLSSetup.client(TLSIdentity(issued: files.ca.issue(role: .admin, name: "ops"))), logger: logger)
        var info: NodeInfo?
        try? await eventually("\(binary) answering node.info", seconds: 60) {
            info = try? await client.withConnection(host: "127.0.0.1", port: port, expecting: role) { conn in
                try NodeInfo(canonicalBytes: try await conn.request(NodeInfo.kind, []))
            }
            return info != nil || !p.isRunning
        }
        let answered = try #require(info, "\(binary) answers node.info on \(port); its log:\n\(logText())")
        #expect(answered.service == "\(role)")
        #expect(answered.name == "\(role)-1")

        kill(p.processIdentifier, SIGTERM)
        #expect(await waitForExit(p, seconds: 60), "\(binary) stops on SIGTERM")
        if !p.isRunning { #expect(p.terminationStatus == 0, "\(binary) exits cleanly; its log:\n\(logText())") }
    }
}
