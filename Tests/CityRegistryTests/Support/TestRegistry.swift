import CityChainAPI
import CityPKI
import CityTestSupport
import CityWire
import Foundation
@testable import CityRegistry

/// A registry running in the test process against a test database, on a free port.
final class TestRegistry: Sendable {
    let runtime: RegistryRuntime
    let task: Task<Void, any Error>
    let port: Int

    init(db: TestDatabase, ca: CertificateAuthority, name: String = "registry-test") async throws {
        let tls = try TLSIdentity(issued: ca.issue(role: .registry, name: name))
        runtime = try RegistryRuntime.assemble(database: db.registry, tls: tls, host: "127.0.0.1", port: 0,
                                               pollInterval: .milliseconds(50), logger: testLogger)
        let r = runtime
        task = Task { try await r.run() }
        port = try await runtime.node.server.listeningAddress.port!
    }

    var address: HostPort { HostPort(host: "127.0.0.1", port: port) }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    /// A connection to this registry as `identity`.
    func connect<T: Sendable>(as identity: TestIdentity, _ body: (WireConnection) async throws -> T) async throws -> T {
        try await identity.client().withConnection(host: "127.0.0.1", port: port, expecting: .registry, body)
    }
}

/// A real `citychain-registry` process.
final class RegistryProcess {
    static let binary: String = {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        return root.appendingPathComponent(".build/debug/citychain-registry").path
    }()

    let process = Process()
    let port: Int
    let logPath: String

    /// Starts the binary with the certificate files in `dir` named `name`.
    init(dir: String, name: String, port: Int, db: TestDatabase, extra: [String] = []) throws {
        self.port = port
        logPath = dir + "/\(name)-\(UUID().uuidString.prefix(6)).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--listen", "127.0.0.1:\(port)", "--cert", dir + "/\(name).pem", "--key", dir + "/\(name).key",
                             "--ca", dir + "/ca.pem", "--postgres", db.url, "--watch-poll-millis", "100", "--log-level", "info"] + extra
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var address: HostPort { HostPort(host: "127.0.0.1", port: port) }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends `signal` and waits (at most `seconds`) for the exit; returns the status and the seconds it took.
    func stop(_ signal: Int32, seconds: Double = 20) async throws -> (status: Int32, seconds: Double) {
        let started = Date()
        kill(process.processIdentifier, signal)
        guard await waitForExit(process, seconds: seconds) else {
            await stopProcess(process, signal: SIGKILL)
            throw TestFailure("citychain-registry did not exit within \(seconds) s of signal \(signal); log:\n\(log)")
        }
        return (process.terminationStatus, Date().timeIntervalSince(started))
    }

    /// Writes `ca.pem` and `<name>.pem`/`<name>.key` for each registry name into `dir`.
    static func writeCertificates(_ ca: CertificateAuthority, names: [String], dir: String) throws {
        try PEMFiles.write(ca.certificatePEM, to: dir + "/ca.pem", secret: false)
        for name in names {
            let issued = try ca.issue(role: .registry, name: name)
            try PEMFiles.write(issued.certificatePEM, to: dir + "/\(name).pem", secret: false)
            try PEMFiles.write(issued.privateKeyPEM, to: dir + "/\(name).key", secret: true)
        }
    }

    /// A loopback port free now (the test kit's `freePort`; the registry binds it with SO_REUSEADDR).
    static func freePort() throws -> Int { CityTestSupport.freePort() }
}

