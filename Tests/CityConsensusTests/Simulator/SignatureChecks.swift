import CityConsensus
import CityEncoding
import CityLedger

/// The nodes' edge verification of signatures, with one cache shared by all simulated nodes: every
/// node would reach the same verdict on the same bytes, and debug-build Ed25519 is too slow to
/// verify each gossiped copy again. Each distinct signature is still checked once with Ed25519.
struct SignatureChecks {
    private var votes: [Vote: Bool] = [:]
    private var proposals: [Proposal<TestValue>: Bool] = [:]
    private var fullyVerifiedHeights: Set<UInt64> = []
    private(set) var verifications = 0

    mutating func verify(_ v: Vote) -> Bool {
        if let known = votes[v] { return known }
        verifications += 1
        let ok = v.verify(chainID: Fixture.chainID)
        votes[v] = ok
        return ok
    }

    mutating func verify(_ p: Proposal<TestValue>) -> Bool {
        if let known = proposals[p] { return known }
        verifications += 1
        let ok = p.verify(chainID: Fixture.chainID)
        proposals[p] = ok
        return ok
    }

    /// A certificate check with `CommitCertificate.verify` semantics: the first certificate of each
    /// height goes through `CommitCertificate.verify` itself; later ones check quorum, membership and
    /// distinct signers, and each signature through the cache.
    mutating func verify(_ cert: CommitCertificate, value: TestValue, validators: ValidatorSet) -> Bool {
        if fullyVerifiedHeights.insert(cert.height).inserted {
            verifications += cert.signatures.count
            do { try cert.verify(blockHash: value.id, validatorSet: validators, chainID: Fixture.chainID) } catch { return false }
            for s in cert.signatures { votes[precommit(cert, s)] = true }
            return true
        }
        guard cert.blockHash == value.id else { return false }
        var power: UInt64 = 0
        var seen = Set<PublicKey>()
        for s in cert.signatures {
            guard seen.insert(s.validator).inserted, let member = validators.validator(s.validator),
                  verify(precommit(cert, s)) else { return false }
            power += member.power
        }
        return validators.isQuorum(power)
    }

    private func precommit(_ c: CommitCertificate, _ s: CommitSignature) -> Vote {
        Vote(kind: .precommit, height: c.height, round: c.round, blockHash: c.blockHash, validator: s.validator, signature: s.signature)
    }
}
