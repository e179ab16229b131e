import CityEncoding
import CityLedger

/// The last message this validator signed, with its lock at that moment: what the caller must
/// persist durably before sending the message (`ConsensusAction.signing`), and hand back to
/// `ConsensusCore.init(restoring:)` after a restart. It prevents double signing and lock amnesia
/// (a validator that forgot its lock could help decide a second value).
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
    /// The lock as it was when the message was signed (it only changes together with a precommit).
    package struct Lock: Hashable, Sendable {
        /// The paper's lockedRound.
        package var round: UInt32
        /// The paper's lockedValue, kept whole so a restarted proposer can re-propose it.
        package var value: Value
        /// The prevote quorum for `value` in `round` (at most one vote per validator), so a restarted
        /// node can still justify the re-proposal (rule 3) to nodes that missed those prevotes.
        package var polka: [Vote]

        /// A lock from its parts.
        package init(round: UInt32, value: Value, polka: [Vote]) {
            precondition(polka.allSatisfy { $0.kind == .prevote && $0.round == round && $0.blockHash == value.id },
                         "the polka is the lock round's prevotes for the locked value")
            (self.round, self.value, self.polka) = (round, value, polka)
        }
    }

    /// The lock when it was signed; nil when not locked.
    package var lock: Lock?
    /// This node's earlier signed messages of the same height and round (at most two: a proposal and
    /// a prevote before a precommit), re-sent after a restart: peers that missed them may need them to
    /// reach the quorum that arms the round's next timer.
    package var earlier: [Message]

    /// A record from its parts.
    package init(height: UInt64, round: UInt32, step: ConsensusStep, message: Message, lock: Lock?, earlier: [Message] = []) {
        precondition(earlier.count <= 2, "a round has at most a proposal and a prevote before a precommit")
        self.height = height
        self.round = round
        self.step = step
        self.message = message
        self.lock = lock
        self.earlier = earlier
    }

    /// True when (height, round, step) is strictly after this record's position.
    package func isBefore(height h: UInt64, round r: UInt32, step s: ConsensusStep) -> Bool {
        (height, round, step.rawValue) < (h, r, s.rawValue)
    }
}
