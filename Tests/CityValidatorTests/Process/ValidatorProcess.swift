import CityTestSupport
import CityEncoding
import CityLedger
import CityPKI
import Foundation
@preconcurrency import Crypto
@testable import CityNode

/// A real `citychain-validator` process (the debug build next to the tests), with its files in a
/// test directory: certificate, key, consensus key file, data directory, log.
final class ValidatorProcess: @unchecked Sendable {
    static let binary: URL = {
        // Tests/CityValidatorTests/Process/ValidatorProcess.swift → package root → .build/debug
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        return root.appendingPathComponent(".build/debug/citychain-validator")
    }()

    /// Another executable of the same build (citychain-gateway, …).
    static func sibling(_ name: String) -> URL { binary.deletingLastPathComponent().appendingPathComponent(name) }

    let name: String
    let port: Int
    let executable: URL
    let arguments: [String]
    /// Flags added to `arguments` at the next `start()`.
    var extraArguments: [String] = []
    /// The validator's data directory (block log, sign record).
    var dataDirectory: String { (logPath as NSString).deletingLastPathComponent + "/data" }
    let logPath: String
    private var process: Process?

    /// Writes the certificate and key files of validator `name` under `dir` and prepares its arguments.
    init(name: String, port: Int, dir: String, ca: CertificateAuthority, genesisPath: String,
         validatorKey: [UInt8]?, peers: [String], extra: [String] = []) throws {
        self.name = name
        self.port = port
        executable = Self.binary
        let issued = try ca.issue(role: .validator, name: name)
        let base = dir + "/" + name
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        try PEMFiles.write(issued.certificatePEM, to: base + "/cert.pem", secret: false)
        try PEMFiles.write(issued.privateKeyPEM, to: base + "/cert.key", secret: true)
        try PEMFiles.write(ca.certificatePEM, to: base + "/ca.pem", secret: false)
        var args = ["--listen", "127.0.0.1:\(port)", "--advertise", "127.0.0.1:\(port)", "--cert", base + "/cert.pem",
                    "--key", base + "/cert.key", "--ca", base + "/ca.pem", "--genesis", genesisPath, "--data-dir", base + "/data",
                    "--config", base + "/config.yaml", "--log-level", "info"]
        for p in peers where p != "127.0.0.1:\(port)" { args += ["--peer", p] }
        args += extra
        if let validatorKey {
            let key = try Curve25519.Signing.PrivateKey(rawRepresentation: validatorKey)
            let file = KeyFile(kind: .signing, publicKey: Hex.encode(key.publicKey.rawRepresentation), privateKey: Hex.encode(validatorKey))
            try JSONEncoder().encode(file).write(to: URL(fileURLWithPath: base + "/consensus-key.json"))
            args += ["--validator-key", base + "/consensus-key.json"]
        }
        let config = "block:\n  intervalMillis: 0\n  heartbeatMillis: 1000\nconsensus:\n  proposeBaseMillis: 1000\n  prevoteBaseMillis: 300\n"
            + "  precommitBaseMillis: 300\n  rebroadcastMillis: 400\n"
        try Data(config.utf8).write(to: URL(fileURLWithPath: base + "/config.yaml"))
        arguments = args
        logPath = base + "/validator.log"
    }

    /// Any other service process: `role`'s certificate for `name` written under `dir`, then
    /// `arguments(certFlags)` (the --cert/--key/--ca flags) as its command line.
    init(name: String, role: Role, port: Int, executable: URL, dir: String, ca: CertificateAuthority,
         arguments: ([String]) -> [String]) throws {
        self.name = name
        self.port = port
        self.executable = executable
        let issued = try ca.issue(role: role, name: name)
        let base = dir + "/" + name
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        try PEMFiles.write(issued.certificatePEM, to: base + "/cert.pem", secret: false)
        try PEMFiles.write(issued.privateKeyPEM, to: base + "/cert.key", secret: true)
        try PEMFiles.write(ca.certificatePEM, to: base + "/ca.pem", secret: false)
        self.arguments = arguments(["--cert", base + "/cert.pem", "--key", base + "/cert.key", "--ca", base + "/ca.pem"])
        logPath = base + "/\(name).log"
    }

    var address: String { "127.0.0.1:\(port)" }
    var isRunning: Bool { process?.isRunning ?? false }
    /// The process id of the running process (nil before the first start).
    var pid: Int32? { process?.processIdentifier }

    /// True once the process is not running (it exited, or was never started), waiting at most
    /// `seconds` for its exit (an event, not polling).
    func waitUntilStopped(seconds: Double) async -> Bool {
        guard let p = process else { return true }
        return await waitForExit(p, seconds: seconds)
    }

    /// Starts the process (appending to its log) and waits until it listens.
    func start() async throws {
        if let running = process, running.isRunning {
            // Seen once under a loaded parallel run: a process killed moments ago and not yet
            // reported exited. Its exit is waited for (an event), and a process that really is
            // still running fails this test with a message instead of crashing the whole run.
            guard await waitForExit(running, seconds: 30) else { throw TestFailure("\(name) is still running (pid \(running.processIdentifier)); stop it before starting it again") }
        }
        if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let logStart = Int(try log.seekToEnd())   // earlier runs' lines do not count
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments + extraArguments
        p.standardOutput = log
        p.standardError = log
        try p.run()
        process = p
        do {
            try await eventually("\(name) listening", seconds: 60) {
                guard p.isRunning else { throw ProcessFailure(name: name, log: tail()) }
                return Self.canConnect(port: port) || self.log(from: logStart).contains("wire server listening")
            }
        } catch is TestFailure {
            throw ProcessFailure(name: name, log: tail())
        }
    }

    /// kill -9: no shutdown code runs.
    func kill9() async {
        guard let p = process, p.isRunning else { return }
        kill(p.processIdentifier, SIGKILL)
        _ = await waitForExit(p, seconds: 30)
    }

    /// Sends `signal` (e.g. SIGHUP) to the running process.
    func send(_ signal: Int32) {
        guard let p = process, p.isRunning else { return }
        kill(p.processIdentifier, signal)
    }

    /// SIGTERM, then waits (up to `seconds`, then SIGKILL) for the exit status.
    func terminate(seconds: Int = 15) async -> Int32 {
        guard let p = process, p.isRunning else { return process?.terminationStatus ?? 0 }
        return await stopProcess(p, seconds: Double(seconds))
    }

    /// The log from byte `offset` (small: info level, one test).
    /// Bytes in the log file now (`log(from:)` of what comes after).
    var logSize: Int { ((try? FileManager.default.attributesOfItem(atPath: logPath))?[.size] as? NSNumber)?.intValue ?? 0 }

    func log(from offset: Int) -> String {
        guard let data = FileManager.default.contents(atPath: logPath), data.count > offset else { return "" }
        return String(decoding: data.dropFirst(offset), as: UTF8.self)
    }

    /// The last 4 KiB of the log.
    func tail() -> String {
        guard let data = FileManager.default.contents(atPath: logPath) else { return "" }
        return String(decoding: data.suffix(4096), as: UTF8.self)
    }

    private static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    deinit { if let p = process, p.isRunning { kill(p.processIdentifier, SIGKILL) } }
}

struct ProcessFailure: Error, CustomStringConvertible {
    var name: String
    var log: String
    var description: String { "\(name) did not start; its log ends:\n\(log)" }
}
