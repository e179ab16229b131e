import CityEncoding

/// Domain-separation tags: every hash and signature starts with one, written as a canonical
/// string (u32 length then ASCII), so bytes signed for one purpose never verify for another.
package enum LedgerDomain {
    /// Prefix of a transaction id hash.
    package static let transactionID = "citychain/tx/v2"
    /// Prefix of the bytes a transaction's signers sign.
    package static let transactionSignature = "citychain/tx-sig/v2"
    /// Prefix of a block hash.
    package static let blockHash = "citychain/block/v1"
    /// Prefix of the bytes a vote signs.
    package static let vote = "citychain/vote/v1"
    /// Prefix of the bytes a proposal's proposer signs (`SignedProposalHeader.signBytes`).
    package static let proposal = "citychain/proposal/v1"
    /// Prefix of an equivocation's id (`Equivocation.id`).
    package static let evidence = "citychain/evidence/v1"
    /// Prefix of a validator set's hash.
    package static let validatorSet = "citychain/validators/v1"
    /// Prefix of a genesis hash.
    package static let genesis = "citychain/genesis/v1"
    /// Prefix of a state-tree key.
    package static let stateKey = "citychain/state/v1"
    /// HPKE `info` of sealed payloads.
    package static let seal = "citychain/seal/v1"

    /// SHA-256 of the canonical `domain` string followed by `body`.
    package static func hash(_ domain: String, _ body: [UInt8]) -> Hash32 {
        var w = CanonicalWriter(capacity: body.count + domain.utf8.count + 4)
        w.string(domain)
        w.fixed(body)
        return Hash32.sha256(w.bytes)
    }

    /// The canonical `domain` string followed by `body` (what gets signed).
    package static func message(_ domain: String, _ body: [UInt8]) -> [UInt8] {
        var w = CanonicalWriter(capacity: body.count + domain.utf8.count + 4)
        w.string(domain)
        w.fixed(body)
        return w.bytes
    }
}
