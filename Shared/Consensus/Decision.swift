import CityLedger

/// A decided value and the precommits (or synced certificate) that certify it.
package struct Decision<Value: ConsensusValue>: Hashable, Sendable {
    /// The height decided.
    package var height: UInt64
    /// The decided value.
    package var value: Value
    /// Precommits of more than 2/3 of the power for `value.id` at `height`.
    package var certificate: CommitCertificate

    /// A decision from its parts.
    package init(height: UInt64, value: Value, certificate: CommitCertificate) {
        precondition(certificate.height == height && certificate.blockHash == value.id, "certificate certifies another value")
        self.height = height
        self.value = value
        self.certificate = certificate
    }
}
