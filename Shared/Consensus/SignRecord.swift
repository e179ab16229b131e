import CityEncoding
import CityLedger

/// The last message this validator signed, with its lock at that moment: what the caller must
/// persist durably before sending the message (`ConsensusAction.signing`), and hand back to
/// `ConsensusCore.init(restoring:)` after a restart. It prevents double signing and lock amnesia.
package struct SignRecord<Value: ConsensusValue>: Hashable, Sendable {
    /// What was signed.
    package enum Message: Hashable, Sendable {
        /// A proposal (step `propose`).
        case proposal(Proposal<Value>)
        /// A prevote or precommit.
        case vote(Vote)
    }

    /// Height of the signed message.
    package var height: UInt64
    /// Round of the signed message.
    package var round: UInt32
    /// Step of the signed message (propose for a proposal, else the vote's kind).
    package var step: ConsensusStep
    /// The signed message itself, re-sent verbatim instead of signing anew.
    package var message: Message
    /// The lock when it was signed (nil: not locked); it only changes together with a precommit.
    package var lockedRound: UInt32?
    /// Id of the locked value.
    package var lockedID: Hash32?

    /// A record from its parts.
    package init(height: UInt64, round: UInt32, step: ConsensusStep, message: Message, lockedRound: UInt32?, lockedID: Hash32?) {
        precondition((lockedRound == nil) == (lockedID == nil), "a lock has both a round and a value")
        self.height = height
        self.round = round
        self.step = step
        self.message = message
        self.lockedRound = lockedRound
        self.lockedID = lockedID
    }

    /// True when (height, round, step) is strictly after this record's position.
    package func isBefore(height h: UInt64, round r: UInt32, step s: ConsensusStep) -> Bool {
        (height, round, step.rawValue) < (h, r, s.rawValue)
    }
}
