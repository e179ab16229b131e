import CityLedger

/// What `ConsensusCore.handle` asks the caller to do, in order. A `signing` action must be made
/// durable before any later action is carried out (it precedes the broadcast it covers).
package enum ConsensusAction<Value: ConsensusValue>: Sendable {
    /// Persist this record (fsync) before sending anything that follows.
    case signing(SignRecord<Value>)
    /// Send the proposal to every validator (and gossip it on).
    case broadcastProposal(Proposal<Value>)
    /// Send the vote to every validator (and gossip it on). Usually this node's own vote; it may also
    /// relay another validator's prevote (the quorum behind a re-proposal), signature intact.
    case broadcastVote(Vote)
    /// Feed `.timeout(timeout)` back after `durationMillis`.
    case scheduleTimeout(ConsensusTimeout, durationMillis: UInt64)
    /// This node proposes at (height, round): build a value from the mempool, answer `.valueToPropose`.
    case needValue(height: UInt64, round: UInt32)
    /// Check the value (parent, height, time, transactions, roots), answer `.validated`.
    case validate(height: UInt64, value: Value)
    /// The height is decided: apply the value, store it with its certificate, then send `.startHeight(height + 1, ...)`.
    case decide(Decision<Value>)
    /// Validators with more than 1/3 of the power are past this height: fetch its certified block
    /// from a peer, verify the certificate, answer `.certified`.
    case requestSync(height: UInt64)
    /// A validator signed conflicting messages: keep, gossip, and include this in a block.
    case evidence(EquivocationEvidence<Value>)
}
