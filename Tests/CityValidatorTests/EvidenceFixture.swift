import CityEncoding
import CityLedger
import Crypto

/// Conflicting votes signed by the fixture's validators (seeds 0x10...0x13) or a stranger.
extension MempoolFixture {
    static func vote(_ hash: Hash32?, height: UInt64 = 1, round: UInt32 = 0, key: Curve25519.Signing.PrivateKey) -> Vote {
        try! Vote.sign(kind: .prevote, height: height, round: round, blockHash: hash, chainID: chainID, key: key)
    }

    /// Validator `i` prevotes nil and block "a" at (height, round).
    static func doubleVote(by i: Int = 1, height: UInt64 = 1, round: UInt32 = 0) -> Equivocation {
        doubleVote(key: validatorKeys[i], height: height, round: round)
    }

    /// `key` prevotes nil and block "a" at (height, round).
    static func doubleVote(key: Curve25519.Signing.PrivateKey, height: UInt64 = 1, round: UInt32 = 0) -> Equivocation {
        Equivocation(votes: vote(nil, height: height, round: round, key: key),
                     vote(Hash32.sha256([0x61]), height: height, round: round, key: key))
    }

    /// Another pair of conflicting prevotes for the same slot as `doubleVote(by: i)`: the same offence.
    static func otherPair(by i: Int = 1) -> Equivocation {
        Equivocation(votes: vote(Hash32.sha256([0x62]), key: validatorKeys[i]), vote(Hash32.sha256([0x63]), key: validatorKeys[i]))
    }

    /// `doubleVote(by: i)` with the second signature replaced by the first's.
    static func forgedVote(by i: Int = 1) -> Equivocation {
        guard case let .votes(a, b) = doubleVote(by: i) else { preconditionFailure("doubleVote makes votes") }
        var forged = b
        forged.signature = a.signature
        return .votes(first: a, second: forged)
    }
}
