import ArgumentParser
import Foundation
import Testing
@testable import CityCLI
@testable import CityPKI

/// Runs the CLI in process, as `citychain ARGS...` would.
func runCLI(_ arguments: [String]) async throws {
    var command = try CityChainCommand.parseAsRoot(arguments)
    if var asyncCommand = command as? any AsyncParsableCommand {
        try await asyncCommand.run()
    } else {
        try command.run()
    }
}

func temporaryDirectory() -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("citychain-cli-\(UUID())").path
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

@Suite struct PKICommandTests {
    @Test func initThenIssueWritesVerifiableRoleCertificates() async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await runCLI(["pki", "init", "--dir", dir])
        try await runCLI(["pki", "issue", "--role", "agency:tax-office", "--name", "tax-office", "--dir", dir])
        try await runCLI(["pki", "issue", "--role", "validator", "--name", "validator-1", "--dir", dir, "--host", "10.0.0.5"])
        let ca = try CertificateAuthority(certificatePEM: try PEMFiles.read("\(dir)/ca.pem"),
                                          privateKeyPEM: try PEMFiles.read("\(dir)/ca.key"))
        let agency = try TLSIdentity(files: .init(certificatePath: "\(dir)/tax-office.pem", privateKeyPath: "\(dir)/tax-office.key",
                                                  caCertificatePath: "\(dir)/ca.pem"))
        #expect(try PeerIdentity(certificate: agency.certificateChain[0]).role == .agency("tax-office"))
        let validator = try TLSIdentity(files: .init(certificatePath: "\(dir)/validator-1.pem", privateKeyPath: "\(dir)/validator-1.key",
                                                     caCertificatePath: "\(dir)/ca.pem"))
        #expect(try PeerIdentity(certificate: validator.certificateChain[0]).role == .validator)
        #expect(ca.certificatePEM.contains("BEGIN CERTIFICATE"))
    }

    @Test func initRefusesToReplaceAnExistingCA() async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await runCLI(["pki", "init", "--dir", dir])
        let before = try PEMFiles.read("\(dir)/ca.pem")
        await #expect(throws: (any Error).self) { try await runCLI(["pki", "init", "--dir", dir]) }
        #expect(try PEMFiles.read("\(dir)/ca.pem") == before)
    }

    @Test func issueRefusesBadRolesAndNames() async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await runCLI(["pki", "init", "--dir", dir])
        await #expect(throws: (any Error).self) { try await runCLI(["pki", "issue", "--role", "mayor", "--name", "m", "--dir", dir]) }
        await #expect(throws: (any Error).self) { try await runCLI(["pki", "issue", "--role", "admin", "--name", "../etc", "--dir", dir]) }
        await #expect(throws: (any Error).self) {
            try await runCLI(["pki", "issue", "--role", "admin", "--name", "a", "--dir", "\(dir)/missing"])
        }
    }
}
