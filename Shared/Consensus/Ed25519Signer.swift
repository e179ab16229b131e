import CityLedger
// swift-crypto's Linux backend does not mark Curve25519 keys Sendable; the key is immutable after
// init and signing does not mutate it, so sharing it across isolation domains is safe.
@preconcurrency import Crypto

/// A `ConsensusSigner` over an in-memory Ed25519 key (the validator process loads it from its key file).
package struct Ed25519Signer: ConsensusSigner {
    private let key: Curve25519.Signing.PrivateKey
    /// The public half of the key.
    package let publicKey: PublicKey

    /// Wraps a swift-crypto signing key.
    package init(_ key: Curve25519.Signing.PrivateKey) {
        self.key = key
        publicKey = key.ledgerPublicKey
    }

    /// Signs `message`; Ed25519 signing only fails on a broken key, which is a programming error.
    package func sign(_ message: [UInt8]) -> Signature {
        do { return try key.ledgerSignature(for: message) } catch {
            preconditionFailure("Ed25519 signing failed: \(error)")
        }
    }
}
