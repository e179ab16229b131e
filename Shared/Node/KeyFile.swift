import CityEncoding
import Crypto
import Foundation

/// A key file written by `citychain keys new`: JSON with the key kind and hex keys, mode 0600.
/// Signing keys are Ed25519 (transactions, votes); sealing keys are X25519 (HPKE recipients of
/// restricted payloads).
package struct KeyFile: Codable, Sendable, Equatable {
    /// `signing` (Ed25519) or `sealing` (X25519).
    package enum Kind: String, Codable, Sendable, CaseIterable {
        case signing, sealing
    }

    /// The key kind.
    package var kind: Kind
    /// Hex of the 32-byte public key.
    package var publicKey: String
    /// Hex of the 32-byte private key (seed).
    package var privateKey: String

    /// A fresh key of `kind`.
    package static func generate(_ kind: Kind) -> KeyFile {
        switch kind {
        case .signing:
            let k = Curve25519.Signing.PrivateKey()
            return KeyFile(kind: kind, publicKey: Hex.encode(k.publicKey.rawRepresentation), privateKey: Hex.encode(k.rawRepresentation))
        case .sealing:
            let k = Curve25519.KeyAgreement.PrivateKey()
            return KeyFile(kind: kind, publicKey: Hex.encode(k.publicKey.rawRepresentation), privateKey: Hex.encode(k.rawRepresentation))
        }
    }

    /// Reads and checks a key file: the kind is right and the public key matches the private key.
    package static func load(_ path: String, expecting kind: Kind) throws -> KeyFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw KeyFileError("cannot read key file \(path): \(error.localizedDescription)")
        }
        let file: KeyFile
        do { file = try JSONDecoder().decode(KeyFile.self, from: data) } catch {
            throw KeyFileError("\(path) is not a key file written by 'citychain keys new' (\(error))")
        }
        guard file.kind == kind else {
            throw KeyFileError("\(path) holds a \(file.kind.rawValue) key but a \(kind.rawValue) key is needed; make one with 'citychain keys new --kind \(kind.rawValue)'")
        }
        guard let priv = Hex.decode(file.privateKey), let pub = Hex.decode(file.publicKey), priv.count == 32, pub.count == 32 else {
            throw KeyFileError("\(path): keys must be 64 hex digits each")
        }
        let derived: Data
        do {
            switch kind {
            case .signing: derived = try Curve25519.Signing.PrivateKey(rawRepresentation: priv).publicKey.rawRepresentation
            case .sealing: derived = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: priv).publicKey.rawRepresentation
            }
        } catch {
            throw KeyFileError("\(path): the private key is not a valid \(kind.rawValue) key")
        }
        guard Array(derived) == pub else { throw KeyFileError("\(path): the public key does not match the private key") }
        return file
    }

    /// The 32 raw public-key bytes.
    package var publicKeyBytes: [UInt8] { Hex.decode(publicKey) ?? [] }
    /// The 32 raw private-key bytes.
    package var privateKeyBytes: [UInt8] { Hex.decode(privateKey) ?? [] }
}

/// A key file could not be read or is not what was asked for.
package struct KeyFileError: Error, CustomStringConvertible {
    /// What was wrong and what to do.
    package let description: String
    init(_ description: String) { self.description = description }
}
