import CityPKI
import CityWire
import Foundation
import Testing
@testable import CityNode

/// The ops flags of every service and the checks a SIGHUP reload makes before it swaps identities.
@Suite struct NodeOpsTests {
    static let identity = ["--cert", "c.pem", "--key", "c.key", "--ca", "ca.pem"]

    @Test func opsFlagsParseAndErrorsNameTheFlag() throws {
        let none = try NodeOptions.parse(Self.identity)
        #expect(try none.opsAddress() == nil, "no --ops-listen: no ops server")
        #expect(try none.format() == .text)

        let set = try NodeOptions.parse(Self.identity + ["--ops-listen", "127.0.0.1:9101", "--log-format", "json"])
        #expect(try set.opsAddress() == HostPort(host: "127.0.0.1", port: 9101))
        #expect(try set.format() == .json)

        let bad = try NodeOptions.parse(Self.identity + ["--ops-listen", "nowhere", "--log-format", "yaml"])
        #expect { try bad.opsAddress() } throws: { "\($0)".contains("--ops-listen 'nowhere'") }
        #expect { try bad.format() } throws: { "\($0)".contains("--log-format 'yaml'") }
    }

    @Test func reloadLoadsOnlyACurrentCertificateForTheSameRoleAndName() throws {
        let ca = try CertificateAuthority.create()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = TLSIdentityFiles(certificatePath: dir + "/cert.pem", privateKeyPath: dir + "/cert.key", caCertificatePath: dir + "/ca.pem")
        func write(_ issued: IssuedIdentity) throws {
            try PEMFiles.write(issued.certificatePEM, to: files.certificatePath, secret: false)
            try PEMFiles.write(issued.privateKeyPEM, to: files.privateKeyPath, secret: true)
            try PEMFiles.write(ca.certificatePEM, to: files.caCertificatePath, secret: false)
        }
        let good = try ca.issue(role: .validator, name: "validator-1")
        try write(good)
        let loaded = try CertificateReloader.load(files: files, role: .validator, name: "validator-1")
        #expect(try PeerIdentity(certificate: loaded.certificateChain[0]).name == "validator-1")

        try write(try ca.issue(role: .validator, name: "validator-2"))
        #expect { try CertificateReloader.load(files: files, role: .validator, name: "validator-1") } throws: {
            "\($0)".contains(files.certificatePath) && "\($0)".contains("validator 'validator-2'")
        }
        try write(try ca.issue(role: .indexer, name: "validator-1"))
        #expect(throws: PKIError.self) { try CertificateReloader.load(files: files, role: .validator, name: "validator-1") }

        // A key that is not the certificate's.
        try write(good)
        try PEMFiles.write(try ca.issue(role: .validator, name: "validator-1").privateKeyPEM, to: files.privateKeyPath, secret: true)
        #expect { try CertificateReloader.load(files: files, role: .validator, name: "validator-1") } throws: {
            "\($0)".contains(files.privateKeyPath)
        }

        try Data("not PEM".utf8).write(to: URL(fileURLWithPath: files.certificatePath))
        #expect { try CertificateReloader.load(files: files, role: .validator, name: "validator-1") } throws: {
            "\($0)".contains(files.certificatePath)
        }
    }
}
