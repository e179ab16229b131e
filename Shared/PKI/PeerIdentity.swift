import CityEncoding
import Crypto
import NIOSSL
import SwiftASN1
import X509

/// Who is on the other end of a TLS connection: the role and name the city CA wrote into its
/// certificate. Read once per connection after the handshake verified the chain.
@MemberwiseInit
package struct PeerIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The holder's role.
    package let role: Role
    /// The certificate's common name (the service or agency's name).
    package let name: String
    /// SHA-256 of the certificate's DER bytes, hex (what the registry records).
    package let fingerprint: String

    /// Reads the role and name from a parsed certificate. Exactly one `citychain:role:` SAN URI is required.
    package init(certificate: Certificate) throws(PKIError) {
        let uris: [String]
        do {
            let san = try certificate.extensions.subjectAlternativeNames ?? SubjectAlternativeNames([])
            uris = san.compactMap { name in
                if case .uniformResourceIdentifier(let uri) = name, uri.hasPrefix(Role.uriPrefix) { return uri }
                return nil
            }
        } catch {
            throw PKIError(.malformed, "the certificate's subject alternative names cannot be parsed: \(error)")
        }
        guard let uri = uris.first else {
            throw PKIError(.missingRole, "the certificate carries no CityChain role; issue it with 'citychain pki issue --role ROLE'")
        }
        guard uris.count == 1 else {
            throw PKIError(.ambiguousRole, "the certificate carries \(uris.count) CityChain roles; a certificate must carry exactly one")
        }
        role = try Role(parsing: String(uri.dropFirst(Role.uriPrefix.count)))
        name = Self.commonName(of: certificate) ?? role.description
        var serializer = DER.Serializer()
        let der: [UInt8] = (try? serializer.serialize(certificate)).map { serializer.serializedBytes } ?? []
        fingerprint = SHA256.hash(data: der).map { String(format2: $0) }.joined()
    }

    /// Reads the role and name from the certificate NIOSSL reports for the peer.
    package init(certificate: NIOSSLCertificate) throws(PKIError) {
        let parsed: Certificate
        do {
            parsed = try Certificate(derEncoded: try certificate.toDERBytes())
        } catch {
            throw PKIError(.malformed, "the peer certificate cannot be parsed: \(error)")
        }
        try self.init(certificate: parsed)
    }

    package var description: String { "\(role) '\(name)'" }

    private static func commonName(of cert: Certificate) -> String? {
        for rdn in cert.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(describing: attribute.value)
            }
        }
        return nil
    }
}

extension String {
    /// Two lowercase hex digits.
    fileprivate init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }
}
