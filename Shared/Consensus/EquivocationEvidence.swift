import CityLedger

/// Two conflicting messages signed by one validator for one height, round and step: proof of a
/// Byzantine validator, to be gossiped and put in a block.
package enum EquivocationEvidence<Value: ConsensusValue>: Hashable, Sendable {
    /// Two votes of one kind with different block ids.
    case votes(first: Vote, second: Vote)
    /// Two different proposals by the round's proposer.
    case proposals(first: Proposal<Value>, second: Proposal<Value>)

    /// The validator that signed both.
    package var validator: PublicKey {
        switch self {
        case let .votes(first, _): first.validator
        case let .proposals(first, _): first.proposer
        }
    }
}
