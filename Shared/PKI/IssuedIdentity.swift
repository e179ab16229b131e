import Crypto
import Foundation
import X509

/// A certificate issued by the city CA with its private key: what a service or agency presents in TLS.
package struct IssuedIdentity: Sendable {
    /// The leaf certificate.
    package let certificate: Certificate
    /// The leaf's private key.
    package var privateKey: P256.Signing.PrivateKey {
        // Stored as raw bytes because swift-crypto 3's keys are not Sendable.
        (try? P256.Signing.PrivateKey(rawRepresentation: privateKeyBytes))!
    }
    private let privateKeyBytes: [UInt8]
    /// The issuing CA's certificate (the trust anchor).
    package let caCertificate: Certificate

    /// Wraps a certificate, its key and the CA certificate.
    package init(certificate: Certificate, privateKey: P256.Signing.PrivateKey, caCertificate: Certificate) {
        self.certificate = certificate
        self.privateKeyBytes = Array(privateKey.rawRepresentation)
        self.caCertificate = caCertificate
    }

    /// The leaf certificate as PEM.
    package var certificatePEM: String { (try? certificate.serializeAsPEM().pemString) ?? "" }
    /// The private key as PEM (PKCS#8).
    package var privateKeyPEM: String { privateKey.pemRepresentation }
    /// The CA certificate as PEM.
    package var caCertificatePEM: String { (try? caCertificate.serializeAsPEM().pemString) ?? "" }

    /// The role and name the certificate carries.
    package var peer: PeerIdentity { get throws(PKIError) { try PeerIdentity(certificate: certificate) } }
}
