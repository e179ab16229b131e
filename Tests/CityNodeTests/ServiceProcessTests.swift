import CityTestSupport
import CityLedger
import CityPKI
@preconcurrency import Crypto
import CityWire
import Foundation
import Testing
@testable import CityNode

/// Starts each real service executable with certificates made at test time, checks it answers
/// node.info over mutual TLS with its role, and that SIGTERM stops it cleanly within its limit.
@Suite struct ServiceProcessTests {
    static let binDir: URL = {
        // Tests/CityNodeTests/ServiceProcessTests.swift → package root → .build/debug
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug")
    }()

    // The indexer and the registry need a PostgreSQL: Tests/CityIndexerTests/IndexerProcessTests and
    // Tests/CityRegistryTests/RegistryProcessTests run them (and check SIGTERM).
    @Test(arguments: [("citychain-validator", Role.validator), ("citychain-gateway", .gateway)])
    func executableServesAndStopsOnSIGTERM(binary: String, role: Role) async throws {
        let exe = Self.binDir.appendingPathComponent(binary)
        try #require(FileManager.default.isExecutableFile(atPath: exe.path), "build the executables first (swift build)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("node-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ca = try CertificateAuthority.create()
        let issued = try ca.issue(role: role, name: "\(role)-1")
        try PEMFiles.write(issued.certificatePEM, to: dir.appendingPathComponent("svc.pem").path, secret: false)
        try PEMFiles.write(issued.privateKeyPEM, to: dir.appendingPathComponent("svc.key").path, secret: true)
        try PEMFiles.write(ca.certificatePEM, to: dir.appendingPathComponent("ca.pem").path, secret: false)

        let process = Process()
        process.executableURL = exe
        process.arguments = ["--listen", "127.0.0.1:0", "--cert", dir.appendingPathComponent("svc.pem").path,
                             "--key", dir.appendingPathComponent("svc.key").path, "--ca", dir.appendingPathComponent("ca.pem").path]
        if role == .validator {
            // A validator also needs the chain's genesis and a data directory (here: an observer).
            let genesisPath = dir.appendingPathComponent("genesis.json").path
            try Self.genesis().toJSON().write(to: URL(fileURLWithPath: genesisPath))
            process.arguments! += ["--genesis", genesisPath, "--data-dir", dir.appendingPathComponent("data").path]
        }
        if role == .gateway {
            // A gateway needs the genesis and at least one validator; nothing listens there, so this
            // also checks that SIGTERM stops a gateway whose upstreams are down.
            let genesisPath = dir.appendingPathComponent("genesis.json").path
            try Self.genesis().toJSON().write(to: URL(fileURLWithPath: genesisPath))
            process.arguments! += ["--genesis", genesisPath, "--validator", "127.0.0.1:9"]
        }
        let log = Pipe()
        process.standardError = log
        process.standardOutput = log
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let port = try await withTimeout { try Self.waitForPort(log.fileHandleForReading) }
        let client = try WireClient(tls: TLSSetup.client(TLSIdentity(issued: ca.issue(role: .admin, name: "ops"))), logger: quietLogger)
        let info = try await withTimeout {
            try await client.withConnection(host: "127.0.0.1", port: port, expecting: role) { conn in
                try NodeInfo(canonicalBytes: try await conn.request(NodeInfo.kind, []))
            }
        }
        #expect(info.service == "\(role)")
        #expect(info.name == "\(role)-1")

        let start = Date()
        kill(process.processIdentifier, SIGTERM)
        #expect(await waitForExit(process, seconds: 15), "stops on SIGTERM")
        #expect(process.terminationStatus == 0)
        #expect(Date().timeIntervalSince(start) < 10)
    }

    /// A one-validator, one-agency genesis.
    static func genesis() throws -> Genesis {
        let key = Curve25519.Signing.PrivateKey().ledgerPublicKey
        return Genesis(chainID: "node-test", genesisTimeMillis: 1_700_000_000_000,
                       validators: [Validator(publicKey: key, power: 1, name: "v")], adminThreshold: 1,
                       agencies: [GenesisAgency(id: try AgencyID("ops"), name: "Ops", isAdmin: true,
                                                keys: [AgencyKey(keyID: 1, material: .signing(key))])],
                       datasets: [])
    }

    /// Reads the service's log until the wire server reports its address; returns the port.
    static func waitForPort(_ handle: FileHandle) throws -> Int {
        var text = ""
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { throw CancellationError() }   // the process exited before listening
            text += String(decoding: chunk, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.contains("wire server listening") }),
               let range = line.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                return Int(line[range].split(separator: ":").last!)!
            }
        }
    }
}
