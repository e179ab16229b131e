import Crypto
import Foundation
import SwiftASN1
import X509

/// The city's certificate authority: a self-signed P-256 root that issues every service's and
/// agency's TLS certificate, with the holder's role in the subject alternative names.
package struct CertificateAuthority: Sendable {
    /// The CA certificate (the trust anchor every service is configured with).
    package let certificate: Certificate
    /// The CA's private key; keep it offline in production.
    package var privateKey: P256.Signing.PrivateKey {
        // Stored as raw bytes because swift-crypto 3's keys are not Sendable.
        (try? P256.Signing.PrivateKey(rawRepresentation: privateKeyBytes))!
    }
    private let privateKeyBytes: [UInt8]

    /// Creates a new root CA valid from `notValidBefore` for `validity` seconds.
    package static func create(commonName: String = "CityChain City CA", organization: String = "City",
                               notValidBefore: Date = Date().addingTimeInterval(-300),
                               validity: TimeInterval = 10 * 365 * 86400) throws(PKIError) -> CertificateAuthority {
        let key = P256.Signing.PrivateKey()
        do {
            let name = try DistinguishedName {
                OrganizationName(organization)
                CommonName(commonName)
            }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
            }
            let cert = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
                notValidBefore: notValidBefore, notValidAfter: notValidBefore.addingTimeInterval(validity),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions, issuerPrivateKey: .init(key))
            return CertificateAuthority(certificate: cert, privateKey: key)
        } catch {
            throw PKIError(.creationFailed, "could not create the CA certificate: \(error)")
        }
    }

    /// Wraps an existing CA certificate and key.
    package init(certificate: Certificate, privateKey: P256.Signing.PrivateKey) {
        self.certificate = certificate
        self.privateKeyBytes = Array(privateKey.rawRepresentation)
    }

    /// Loads a CA from its PEM certificate and PEM private key.
    package init(certificatePEM: String, privateKeyPEM: String) throws(PKIError) {
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw PKIError(.malformed, "the CA certificate is not a PEM certificate: \(error)")
        }
        let key: P256.Signing.PrivateKey
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw PKIError(.malformed, "the CA key is not a PEM P-256 private key: \(error)")
        }
        privateKeyBytes = Array(key.rawRepresentation)
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw PKIError(.malformed, "the CA key does not match the CA certificate; use the pair written by 'citychain pki init'")
        }
    }

    /// Issues a leaf certificate for `role`, named `name`, valid for both TLS server and client
    /// use, with `hosts` (DNS names or IP addresses) as extra subject alternative names.
    package func issue(role: Role, name: String, hosts: [String] = ["localhost", "127.0.0.1", "::1"],
                       notValidBefore: Date = Date().addingTimeInterval(-300),
                       notValidAfter: Date = Date().addingTimeInterval(2 * 365 * 86400)) throws(PKIError) -> IssuedIdentity {
        let key = P256.Signing.PrivateKey()
        do {
            let subject = try DistinguishedName {
                OrganizationName(Self.organization(of: certificate))
                OrganizationalUnitName(role.description)
                CommonName(name)
            }
            var names: [GeneralName] = [.uniformResourceIdentifier(role.uri)]
            names += hosts.map(Self.generalName(forHost:))
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(names)
                SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier)
            }
            let cert = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
                notValidBefore: notValidBefore, notValidAfter: notValidAfter,
                issuer: certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions, issuerPrivateKey: .init(privateKey))
            return IssuedIdentity(certificate: cert, privateKey: key, caCertificate: certificate)
        } catch {
            throw PKIError(.creationFailed, "could not issue a certificate for \(role) '\(name)': \(error)")
        }
    }

    /// The CA certificate as PEM.
    package var certificatePEM: String { (try? certificate.serializeAsPEM().pemString) ?? "" }
    /// The CA private key as PEM (PKCS#8).
    package var privateKeyPEM: String { privateKey.pemRepresentation }

    private static func organization(of cert: Certificate) -> String {
        for rdn in cert.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.organizationName {
                return String(describing: attribute.value)
            }
        }
        return "City"
    }

    private static func generalName(forHost host: String) -> GeneralName {
        if let ip = IPAddressBytes(host) { return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(ip.bytes))) }
        return .dnsName(host)
    }
}
