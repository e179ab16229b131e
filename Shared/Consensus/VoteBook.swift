import CityEncoding
import CityLedger

/// The votes of one height, with power tallies per round and block id, and the power of every
/// validator heard from in a round (rule 9). A second, different vote for a (round, kind, validator)
/// slot is equivocation: both are kept and each counts toward its own block id, because a set of
/// signed votes for one id from more than 2/3 of the power is a quorum whatever else those validators
/// signed (two such quorums for different ids would need more than 1/3 of the power to equivocate).
/// Otherwise a correct node that heard an equivocator's other vote first could never see a polka
/// that others saw. `total` counts each validator once; a third vote for a slot is dropped (memory bound).
package struct VoteBook: Sendable {
    /// The outcome of adding a vote.
    package enum Outcome: Equatable, Sendable {
        /// Stored and counted.
        case added
        /// Already had a vote for this block id from this validator in this slot.
        case duplicate
        /// The validator already voted differently in this slot: here is that first vote (both now count).
        case equivocation(first: Vote)
        /// A third different vote for the slot: dropped.
        case repeatedEquivocation
    }

    private struct Tally: Sendable {
        var votes: [PublicKey: [Vote]] = [:]
        var powerFor: [Hash32?: UInt64] = [:]
        var power: UInt64 = 0
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
        let earlier = tally.votes[vote.validator] ?? []
        if earlier.contains(where: { $0.blockHash == vote.blockHash }) { return .duplicate }
        guard earlier.count < 2 else { return .repeatedEquivocation }
        tally.votes[vote.validator] = earlier + [vote]
        tally.powerFor[vote.blockHash, default: 0] += power
        if earlier.isEmpty { tally.power += power }
        precondition(tally.power <= total && tally.powerFor[vote.blockHash]! <= total,
                     "each validator counts once per tally and per block id")
        return earlier.first.map { .equivocation(first: $0) } ?? .added
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

    /// The block id with a precommit quorum in `round`, if any (at most one unless more than 1/3 equivocated).
    package func quorumPrecommitID(round: UInt32) -> Hash32? {
        guard let t = tally(.precommit, round) else { return nil }
        return t.powerFor.compactMap { id, p in id != nil && validators.isQuorum(p) ? id : nil }.min()
    }

    /// Rounds with any message, ascending.
    package var roundsSeen: [UInt32] { rounds.keys.sorted() }

    /// The `kind` votes of `round` for `blockHash`, sorted by validator key.
    package func votes(_ kind: VoteKind, round: UInt32, for blockHash: Hash32?) -> [Vote] {
        (tally(kind, round)?.votes.values.compactMap { $0.first { $0.blockHash == blockHash } } ?? []).sorted { $0.validator < $1.validator }
    }

    /// The first vote `validator` cast of `kind` in `round`, if any.
    package func vote(_ kind: VoteKind, round: UInt32, by validator: PublicKey) -> Vote? {
        tally(kind, round)?.votes[validator]?.first
    }

    private func tally(_ kind: VoteKind, _ round: UInt32) -> Tally? {
        guard let rv = rounds[round] else { return nil }
        return kind == .prevote ? rv.prevotes : rv.precommits
    }
}
