import CityEncoding
import Foundation
import NIOSSL

/// The files of a TLS identity on disk: the holder's certificate and key and the city CA.
@MemberwiseInit
package struct TLSIdentityFiles: Sendable, Hashable {
    /// PEM certificate of the holder.
    package var certificatePath: String
    /// PEM private key of the holder.
    package var privateKeyPath: String
    /// PEM certificate of the city CA (trust anchor).
    package var caCertificatePath: String
}

/// A loaded TLS identity, ready for NIOSSL: certificate chain, key and trust roots.
@MemberwiseInit
package struct TLSIdentity: @unchecked Sendable {
    // NIOSSLCertificate and NIOSSLPrivateKey are immutable reference types that NIOSSL shares
    // across event loops; they are safe to share.
    /// The holder's certificate chain.
    package let certificateChain: [NIOSSLCertificate]
    /// The holder's private key.
    package let privateKey: NIOSSLPrivateKey
    /// The certificates trusted as roots (the city CA).
    package let trustRoots: [NIOSSLCertificate]

    /// Loads PEM files, with errors that name the file and what to do.
    package init(files: TLSIdentityFiles) throws(PKIError) {
        certificateChain = try Self.certificates(at: files.certificatePath, what: "certificate")
        trustRoots = try Self.certificates(at: files.caCertificatePath, what: "CA certificate")
        do {
            privateKey = try NIOSSLPrivateKey(file: files.privateKeyPath, format: .pem)
        } catch {
            throw PKIError(.unreadableFile, "cannot read the private key at \(files.privateKeyPath) (\(error)); check the path and that it is a PEM key")
        }
    }

    /// Uses an identity made in process (tests, devnet tooling).
    package init(issued: IssuedIdentity) throws(PKIError) {
        do {
            certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(issued.certificatePEM.utf8))
            trustRoots = try NIOSSLCertificate.fromPEMBytes(Array(issued.caCertificatePEM.utf8))
            privateKey = try NIOSSLPrivateKey(bytes: Array(issued.privateKeyPEM.utf8), format: .pem)
        } catch {
            throw PKIError(.malformed, "cannot convert the issued identity for TLS: \(error)")
        }
    }

    private static func certificates(at path: String, what: String) throws(PKIError) -> [NIOSSLCertificate] {
        let certs: [NIOSSLCertificate]
        do {
            certs = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw PKIError(.unreadableFile, "cannot read the \(what) at \(path) (\(error)); check the path and that it is a PEM certificate")
        }
        guard !certs.isEmpty else {
            throw PKIError(.malformed, "the \(what) file \(path) holds no certificate")
        }
        return certs
    }
}

/// TLS configurations for CityChain links: TLS 1.3 only, mutual authentication against the
/// city CA. Hostnames are not checked: identity is the role in the certificate, which every
/// service checks per message kind.
package enum TLSSetup {
    /// A server configuration that requires and verifies a client certificate.
    package static func server(_ identity: TLSIdentity) -> TLSConfiguration {
        var config = TLSConfiguration.makeServerConfiguration(
            certificateChain: identity.certificateChain.map { .certificate($0) },
            privateKey: .privateKey(identity.privateKey))
        config.minimumTLSVersion = .tlsv13   // NIOSSL defaults to TLS 1.0.
        config.maximumTLSVersion = .tlsv13
        config.certificateVerification = .noHostnameVerification   // requires a client certificate
        config.trustRoots = .certificates(identity.trustRoots)
        config.sendCANameList = true
        return config
    }

    /// A client configuration that presents `identity` and verifies the server against the city CA.
    package static func client(_ identity: TLSIdentity) -> TLSConfiguration {
        var config = TLSConfiguration.makeClientConfiguration()
        config.certificateChain = identity.certificateChain.map { .certificate($0) }
        config.privateKey = .privateKey(identity.privateKey)
        config.minimumTLSVersion = .tlsv13
        config.maximumTLSVersion = .tlsv13
        config.certificateVerification = .noHostnameVerification
        config.trustRoots = .certificates(identity.trustRoots)
        return config
    }
}
