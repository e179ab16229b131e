import CityEncoding
import CityLedger

/// A block header with the commit certificate that makes it final: what every answer's proofs are
/// checked against. Anyone holding the validator set of its height can check it.
///
/// Encoding: BlockHeader, CommitCertificate.
@MemberwiseInit
package struct CertifiedHeader: Hashable, Sendable, CanonicalCodable {
    /// The header.
    package var header: BlockHeader
    /// Precommits of more than 2/3 of the power for the header's hash.
    package var certificate: CommitCertificate

    /// The header's height.
    package var height: UInt64 { header.height }

    /// Throws unless the header names the set `sets` puts at its height and the certificate is a
    /// quorum of that set for the header.
    package func verify(validatorSet sets: some ValidatorSetSource) throws(ProofFailure) {
        let validatorSet = try sets.validatorSet(forHeight: header.height)
        guard header.validatorSetHash == validatorSet.hash else {
            throw ProofFailure("header \(header.height) is signed by validator set \(header.validatorSetHash), not the trusted set \(validatorSet.hash) at that height; if the validator set changed since the one you trust, verify against the genesis (or --trust-height/--trust-hash) so that the changes are followed")
        }
        do { try certificate.verify(header: header, validatorSet: validatorSet) } catch {
            throw ProofFailure("the certificate of header \(header.height) does not verify: \(error.message)")
        }
    }

    package func encode(to w: inout CanonicalWriter) {
        w.encode(header)
        w.encode(certificate)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        header = try r.decode()
        certificate = try r.decode()
    }
}

/// Why an answer's proof does not check out.
package struct ProofFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// What failed, and what to do.
    package var message: String
    /// Set when the proof could not be checked (not refused) because the verifier does not know the
    /// validator sets up to this height yet: fetch the validator-set changes and check again.
    package var needsSetsThrough: UInt64?
    /// Set when the header is older than the block the verifier trusts by hash (its set is not
    /// known there): the proof may still hold by other means (a state proof naming the transaction).
    package var beforeTrustedHeight: UInt64?

    /// A failure with its message.
    package init(_ message: String, needsSetsThrough: UInt64? = nil, beforeTrustedHeight: UInt64? = nil) {
        self.message = message
        self.needsSetsThrough = needsSetsThrough
        self.beforeTrustedHeight = beforeTrustedHeight
    }

    package var description: String { message }
}
