import Crypto
import Foundation
import NIOSSL
import Testing
import X509
@testable import CityPKI

@Suite struct PKITests {
    @Test func rolesParseAndPrint() throws {
        for text in ["validator", "indexer", "gateway", "registry", "admin", "agency:land-bureau"] {
            #expect(try Role(parsing: text).description == text)
        }
        #expect(try Role(parsing: "agency:tax-office") == .agency("tax-office"))
        for bad in ["", "root", "agency:", "agency:Land", "agency:a b", "agency:" + String(repeating: "a", count: 65)] {
            #expect(throws: PKIError.self) { _ = try Role(parsing: bad) }
        }
    }

    @Test func issuedCertificateCarriesRoleAndName() throws {
        let ca = try CertificateAuthority.create()
        for role in [Role.validator, .indexer, .gateway, .registry, .admin, .agency("hospital-authority")] {
            let issued = try ca.issue(role: role, name: "node-\(role)")
            let peer = try issued.peer
            #expect(peer.role == role)
            #expect(peer.name == "node-\(role)")
            #expect(peer.fingerprint.count == 64)
            // The certificate is signed by the CA.
            #expect(ca.certificate.publicKey.isValidSignature(issued.certificate.signature, for: issued.certificate))
        }
    }

    @Test func certificateWithoutRoleIsRefused() throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("no-role") }
        let cert = try Certificate(version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
                                   notValidBefore: Date(), notValidAfter: Date().addingTimeInterval(3600),
                                   issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                                   extensions: try Certificate.Extensions { SubjectAlternativeNames([.dnsName("localhost")]) },
                                   issuerPrivateKey: .init(key))
        do { _ = try PeerIdentity(certificate: cert); Issue.record("expected missingRole") } catch {
            #expect(error.code == .missingRole)
        }
    }

    @Test func certificateWithTwoRolesIsRefused() throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("two-roles") }
        let san = SubjectAlternativeNames([.uniformResourceIdentifier(Role.admin.uri), .uniformResourceIdentifier(Role.validator.uri)])
        let cert = try Certificate(version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
                                   notValidBefore: Date(), notValidAfter: Date().addingTimeInterval(3600),
                                   issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                                   extensions: try Certificate.Extensions { san }, issuerPrivateKey: .init(key))
        do { _ = try PeerIdentity(certificate: cert); Issue.record("expected ambiguousRole") } catch {
            #expect(error.code == .ambiguousRole)
        }
    }

    @Test func caRoundTripsThroughPEMAndRefusesMismatchedKey() throws {
        let ca = try CertificateAuthority.create()
        let loaded = try CertificateAuthority(certificatePEM: ca.certificatePEM, privateKeyPEM: ca.privateKeyPEM)
        #expect(loaded.certificate == ca.certificate)
        let other = try CertificateAuthority.create()
        #expect(throws: PKIError.self) {
            _ = try CertificateAuthority(certificatePEM: ca.certificatePEM, privateKeyPEM: other.privateKeyPEM)
        }
        #expect(throws: PKIError.self) { _ = try CertificateAuthority(certificatePEM: "garbage", privateKeyPEM: ca.privateKeyPEM) }
    }

    @Test func tlsIdentityLoadsFromFilesAndConfigurationsAreTLS13Only() throws {
        let ca = try CertificateAuthority.create()
        let issued = try ca.issue(role: .gateway, name: "gw-1")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pki-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try PEMFiles.write(issued.certificatePEM, to: "\(dir)/gw-1.pem", secret: false)
        try PEMFiles.write(issued.privateKeyPEM, to: "\(dir)/gw-1.key", secret: true)
        try PEMFiles.write(ca.certificatePEM, to: "\(dir)/ca.pem", secret: false)
        let mode = try FileManager.default.attributesOfItem(atPath: "\(dir)/gw-1.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let identity = try TLSIdentity(files: .init(certificatePath: "\(dir)/gw-1.pem", privateKeyPath: "\(dir)/gw-1.key",
                                                    caCertificatePath: "\(dir)/ca.pem"))
        #expect(try PeerIdentity(certificate: identity.certificateChain[0]).role == .gateway)
        for config in [TLSSetup.server(identity), TLSSetup.client(identity)] {
            #expect(config.minimumTLSVersion == .tlsv13)
            #expect(config.certificateVerification == .noHostnameVerification)
        }
        do {
            _ = try TLSIdentity(files: .init(certificatePath: "\(dir)/missing.pem", privateKeyPath: "\(dir)/gw-1.key",
                                             caCertificatePath: "\(dir)/ca.pem"))
            Issue.record("expected unreadableFile")
        } catch {
            #expect(error.code == .unreadableFile)
            #expect(error.message.contains("missing.pem"))
        }
    }
}
