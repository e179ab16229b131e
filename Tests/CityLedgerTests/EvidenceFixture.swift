import CityEncoding
import Crypto
@testable import CityLedger

/// Signed conflicting messages by the fixture's validators (seeds 0x10...0x13) or by a stranger.
extension Fixture {
    /// A vote of `kind` for `hash` signed by validator `i` (or by `key`).
    static func vote(_ hash: Hash32?, kind: VoteKind = .prevote, height: UInt64 = 1, round: UInt32 = 0, by i: Int = 1,
                     key: Curve25519.Signing.PrivateKey? = nil, chain: String = chainID) -> Vote {
        try! Vote.sign(kind: kind, height: height, round: round, blockHash: hash, chainID: chain, key: key ?? validatorKeys[i])
    }

    /// A proposal header for `valueID` signed by validator `i`.
    static func proposal(height: UInt64 = 1, round: UInt32 = 1, validRound: UInt32? = nil, _ valueID: Hash32, by i: Int = 1,
                         chain: String = chainID) -> SignedProposalHeader {
        let key = validatorKeys[i]
        let message = SignedProposalHeader.signBytes(chainID: chain, height: height, round: round, validRound: validRound, valueID: valueID)
        return SignedProposalHeader(height: height, round: round, validRound: validRound, valueID: valueID,
                                    proposer: key.ledgerPublicKey, signature: try! key.ledgerSignature(for: message))
    }

    static func value(_ s: String) -> Hash32 { Hash32.sha256(Array(s.utf8)) }

    /// Validator `i` prevotes nil and block "a" at (height, round).
    static func doubleVote(by i: Int = 1, height: UInt64 = 1, round: UInt32 = 0, kind: VoteKind = .prevote) -> Equivocation {
        Equivocation(votes: vote(nil, kind: kind, height: height, round: round, by: i),
                     vote(value("a"), kind: kind, height: height, round: round, by: i))
    }

    /// Validator `i` proposes blocks "a" and "b" at (height, round).
    static func doubleProposal(by i: Int = 1, height: UInt64 = 1, round: UInt32 = 1) -> Equivocation {
        Equivocation(proposals: proposal(height: height, round: round, value("a"), by: i),
                     proposal(height: height, round: round, value("b"), by: i))
    }
}
