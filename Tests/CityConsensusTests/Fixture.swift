import CityConsensus
import CityEncoding
import CityLedger
import Crypto

/// Deterministic keys and validator sets for the tests.
enum Fixture {
    static let chainID = "citychain-test"

    /// The signing key of validator `i` (seeded, so every run uses the same keys).
    static func key(_ i: Int) -> Curve25519.Signing.PrivateKey {
        var seed = [UInt8](repeating: 0x5A, count: 32)
        seed[0] = UInt8(truncatingIfNeeded: i)
        seed[1] = UInt8(truncatingIfNeeded: i >> 8)
        return try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    }

    /// A set of validators with these powers; member `i` holds `key(i)`.
    static func validatorSet(powers: [UInt64]) -> ValidatorSet {
        try! ValidatorSet(powers.enumerated().map { i, p in
            Validator(publicKey: key(i).ledgerPublicKey, power: p, name: "v\(i)")
        })
    }

    static func config() -> ConsensusConfig { ConsensusConfig(chainID: chainID) }

    /// A vote signed by validator `i`.
    static func vote(_ kind: VoteKind, _ h: UInt64, _ r: UInt32, _ hash: Hash32?, by i: Int) -> Vote {
        try! Vote.sign(kind: kind, height: h, round: r, blockHash: hash, chainID: chainID, key: key(i))
    }

    /// A proposal signed by validator `i`.
    static func proposal(_ h: UInt64, _ r: UInt32, _ vr: UInt32?, _ v: TestValue, by i: Int) -> Proposal<TestValue> {
        Proposal.sign(height: h, round: r, validRound: vr, value: v, chainID: chainID, signer: Ed25519Signer(key(i)))
    }

    /// A test value for height `h` with a distinguishing salt.
    static func value(_ h: UInt64, salt: UInt64 = 0) -> TestValue {
        TestValue(height: h, parent: .zero, proposer: 0, txs: [salt], salt: salt)
    }
}
