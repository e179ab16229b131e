import CityEncoding
import CityLedger

/// The votes of one height: at most one vote per (round, kind, validator), with power tallies
/// per round and block id, and the power of every validator heard from in a round (rule 9).
/// A second, different vote for a slot is equivocation: the first stays counted, both are returned.
package struct VoteBook: Sendable {
    /// The outcome of adding a vote.
    package enum Outcome: Equatable, Sendable {
        /// Stored and counted.
        case added
        /// Already had exactly this vote (same block id).
        case duplicate
        /// The validator already voted differently in this slot: here is that first vote.
        case equivocation(first: Vote)
        /// A second conflicting vote from a validator already reported for this slot.
        case repeatedEquivocation
    }

    private struct Tally: Sendable {
        var votes: [PublicKey: Vote] = [:]
        var powerFor: [Hash32?: UInt64] = [:]
        var power: UInt64 = 0
        var equivocators: Set<PublicKey> = []
    }

    private struct RoundVotes: Sendable {
        var prevotes = Tally()
        var precommits = Tally()
        var senders: Set<PublicKey> = []
        var senderPower: UInt64 = 0
    }

    /// The set whose members may vote.
    package let validators: ValidatorSet
    private var rounds: [UInt32: RoundVotes] = [:]

    /// An empty book for `validators`.
    package init(validators: ValidatorSet) { self.validators = validators }

    /// Adds a vote from a member (precondition: member of the set).
    package mutating func add(_ vote: Vote) -> Outcome {
        guard let member = validators.validator(vote.validator) else { preconditionFailure("vote from a non-member") }
        noteSender(vote.validator, power: member.power, round: vote.round)
        var rv = rounds[vote.round, default: RoundVotes()]
        defer { rounds[vote.round] = rv }
        if vote.kind == .prevote {
            return Self.add(vote, power: member.power, total: validators.totalPower, to: &rv.prevotes)
        }
        return Self.add(vote, power: member.power, total: validators.totalPower, to: &rv.precommits)
    }

    private static func add(_ vote: Vote, power: UInt64, total: UInt64, to tally: inout Tally) -> Outcome {
        if let first = tally.votes[vote.validator] {
            if first.blockHash == vote.blockHash { return .duplicate }
            return tally.equivocators.insert(vote.validator).inserted ? .equivocation(first: first) : .repeatedEquivocation
        }
        tally.votes[vote.validator] = vote
        tally.powerFor[vote.blockHash, default: 0] += power
        tally.power += power
        precondition(tally.power <= total, "one vote per validator: a tally never exceeds the total power")
        return .added
    }

    /// Records that `validator` sent some message (vote or proposal) in `round`.
    package mutating func noteSender(_ validator: PublicKey, power: UInt64, round: UInt32) {
        if rounds[round, default: RoundVotes()].senders.insert(validator).inserted {
            rounds[round]!.senderPower += power
        }
    }

    /// Power of the `kind` votes for `blockHash` (nil: votes for nil) in `round`.
    package func power(_ kind: VoteKind, round: UInt32, for blockHash: Hash32?) -> UInt64 {
        tally(kind, round)?.powerFor[blockHash] ?? 0
    }

    /// Power of all `kind` votes in `round`, whatever they vote for.
    package func totalPower(_ kind: VoteKind, round: UInt32) -> UInt64 { tally(kind, round)?.power ?? 0 }

    /// Power of the validators heard from in `round`.
    package func senderPower(round: UInt32) -> UInt64 { rounds[round]?.senderPower ?? 0 }

    /// Rounds with any message, ascending.
    package var roundsSeen: [UInt32] { rounds.keys.sorted() }

    /// The `kind` votes of `round` for `blockHash`, sorted by validator key.
    package func votes(_ kind: VoteKind, round: UInt32, for blockHash: Hash32?) -> [Vote] {
        (tally(kind, round)?.votes.values.filter { $0.blockHash == blockHash } ?? []).sorted { $0.validator < $1.validator }
    }

    /// The vote `validator` cast of `kind` in `round`, if any.
    package func vote(_ kind: VoteKind, round: UInt32, by validator: PublicKey) -> Vote? {
        tally(kind, round)?.votes[validator]
    }

    private func tally(_ kind: VoteKind, _ round: UInt32) -> Tally? {
        guard let rv = rounds[round] else { return nil }
        return kind == .prevote ? rv.prevotes : rv.precommits
    }
}
