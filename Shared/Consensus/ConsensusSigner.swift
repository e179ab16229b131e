import CityLedger

/// The validator's signing key as the core sees it: a public key and a signing function.
/// Injected so the core holds no key material of its own and tests can count signatures.
package protocol ConsensusSigner: Sendable {
    /// The key votes and proposals are signed with; must be a member of the validator set to vote.
    var publicKey: PublicKey { get }
    /// Signs `message` (already domain-separated by the caller of this method).
    func sign(_ message: [UInt8]) -> Signature
}
