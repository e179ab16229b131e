import CityEncoding
import CityLedger

/// What the caller feeds into `ConsensusCore.handle`. Signatures are verified by the caller
/// (`Proposal.verify`, `Vote.verify`) before proposals and votes are handed in.
package enum ConsensusEvent<Value: ConsensusValue>: Sendable {
    /// Start taking part in `height` with the validators that sign it (after the previous height's
    /// decision has been applied, or at boot with the stored chain's next height), with the previous
    /// height's certificate, whose precommits are re-sent to validators still deciding it.
    case startHeight(height: UInt64, validators: ValidatorSet, previous: CommitCertificate?)
    /// A proposal whose signature the caller verified.
    case proposal(Proposal<Value>)
    /// A vote whose signature the caller verified.
    case vote(Vote)
    /// A timer scheduled by `ConsensusAction.scheduleTimeout` fired.
    case timeout(ConsensusTimeout)
    /// The answer to `ConsensusAction.needValue`: a new value to propose at (height, round).
    case valueToPropose(height: UInt64, round: UInt32, value: Value)
    /// The answer to `ConsensusAction.validate`: `valid(v)` for the value with id `valueID`.
    case validated(height: UInt64, valueID: Hash32, isValid: Bool)
    /// Block sync: a value for the current height with a certificate the caller verified against
    /// the height's validator set.
    case certified(value: Value, certificate: CommitCertificate)
}
