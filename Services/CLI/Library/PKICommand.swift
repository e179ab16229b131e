import ArgumentParser
import CityPKI
import Foundation
import X509

/// `citychain pki`: the city CA and the certificates of services and agencies.
struct PKICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki", abstract: "Create the city CA and issue role certificates.",
        subcommands: [Init.self, Issue.self, Show.self])

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the city CA: DIR/ca.pem (distribute) and DIR/ca.key (keep offline).")

        @Option(help: "Directory for the PKI files.") var dir = "pki"
        @Option(help: "The CA's common name.") var name = "CityChain City CA"
        @Option(help: "Validity in days.") var days = 3650
        @Flag(help: "Replace an existing CA (every issued certificate becomes untrusted).") var force = false

        func run() throws {
            let certPath = "\(dir)/ca.pem", keyPath = "\(dir)/ca.key"
            if FileManager.default.fileExists(atPath: keyPath) && !force {
                throw ValidationError("\(keyPath) already exists; pass --force to replace the city CA (every issued certificate becomes untrusted)")
            }
            let ca = try CertificateAuthority.create(commonName: name, validity: TimeInterval(days) * 86400)
            try PEMFiles.write(ca.certificatePEM, to: certPath, secret: false)
            try PEMFiles.write(ca.privateKeyPEM, to: keyPath, secret: true)
            print("city CA written: \(certPath) (trust anchor, give to every service) and \(keyPath) (private, mode 0600)")
        }
    }

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a certificate for a service or agency: DIR/NAME.pem and DIR/NAME.key.")

        @Option(help: "validator, indexer, gateway, registry, admin, agency:<id>, or database (a PostgreSQL server's certificate).") var role: String
        @Option(help: "The holder's name (file name and certificate common name).") var name: String
        @Option(help: "Directory holding ca.pem and ca.key; output goes here too.") var dir = "pki"
        @Option(name: .customLong("host"), help: "DNS name or IP the holder serves on (repeatable).") var hosts: [String] = []
        @Option(help: "Validity in days.") var days = 730

        func run() throws {
            let parsedRole = try Role(parsing: role)
            guard name.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"#, options: .regularExpression) != nil else {
                throw ValidationError("--name '\(name)' must be 1-64 characters of letters, digits, '.', '_' or '-'")
            }
            let ca = try CertificateAuthority(certificatePEM: try PEMFiles.read("\(dir)/ca.pem"),
                                              privateKeyPEM: try PEMFiles.read("\(dir)/ca.key"))
            let allHosts = hosts.isEmpty ? ["localhost", "127.0.0.1", "::1"] : hosts
            let issued = try ca.issue(role: parsedRole, name: name, hosts: allHosts,
                                      notValidAfter: Date().addingTimeInterval(TimeInterval(days) * 86400))
            try PEMFiles.write(issued.certificatePEM, to: "\(dir)/\(name).pem", secret: false)
            try PEMFiles.write(issued.privateKeyPEM, to: "\(dir)/\(name).key", secret: true)
            print("issued \(parsedRole) certificate for '\(name)': \(dir)/\(name).pem, key \(dir)/\(name).key")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the role, name and fingerprint of a certificate.")

        @Argument(help: "A PEM certificate file.") var certificate: String

        func run() throws {
            let parsed: Certificate
            do { parsed = try Certificate(pemEncoded: try PEMFiles.read(certificate)) } catch {
                throw ValidationError("\(certificate) is not a PEM certificate: \(error)")
            }
            let peer = try PeerIdentity(certificate: parsed)
            print("role: \(peer.role)\nname: \(peer.name)\nfingerprint: \(peer.fingerprint)")
        }
    }
}
