import CityLedger

/// Weighted round-robin proposer selection, deterministic from the validator set, height and round.
///
/// The schedule is one period of Tendermint's proposer-priority algorithm run from all-zero
/// priorities over the powers divided by their gcd (weights `w`, period `W = Σw`): each step adds
/// `w_i` to every priority, picks the highest (ties: the smaller public key, i.e. the earlier
/// one in set order) and subtracts `W` from it. After `W` steps every priority is back to zero and
/// validator `i` was picked exactly `w_i` times, so the schedule repeats with period `W`.
/// `proposer(h, r)` is entry `(h + r) mod W`: one step per height and one per round, as in
/// Tendermint. If `W` exceeds `maxPeriod` the weights are scaled down to sum about `maxPeriod`
/// (each at least 1) to bound memory and start-up time.
package struct ProposerSchedule: Hashable, Sendable {
    /// Longest schedule kept; larger weight sums are scaled down.
    package static let maxPeriod = 4096
    /// The set this schedule is for.
    package let validators: ValidatorSet
    /// One period of proposer indices into `validators.validators`.
    package let order: [Int]

    /// Computes one period for `validators`.
    package init(_ validators: ValidatorSet) {
        self.validators = validators
        let weights = Self.weights(validators.validators.map(\.power))
        let period = weights.reduce(0, +)
        precondition(period >= 1 && period <= Self.maxPeriod + validators.validators.count, "schedule period out of bounds")
        var priority = [Int64](repeating: 0, count: weights.count)
        var order: [Int] = []
        order.reserveCapacity(period)
        for _ in 0..<period {
            var best = 0
            for i in weights.indices {
                priority[i] += Int64(weights[i])
                if priority[i] > priority[best] { best = i }
            }
            priority[best] -= Int64(period)
            order.append(best)
        }
        self.order = order
    }

    private static func weights(_ powers: [UInt64]) -> [Int] {
        let g = powers.reduce(0) { gcd($0, $1) }
        let reduced = powers.map { $0 / g }
        let sum = reduced.reduce(0, +)
        guard sum > UInt64(maxPeriod) else { return reduced.map { Int($0) } }
        return reduced.map { Int(max(1, $0 * UInt64(maxPeriod) / sum)) }
    }

    private static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 { b == 0 ? a : gcd(b, a % b) }

    /// The proposer of (height, round).
    package func proposer(height: UInt64, round: UInt32) -> Validator {
        let slot = (height % UInt64(order.count) + UInt64(round) % UInt64(order.count)) % UInt64(order.count)
        return validators.validators[order[Int(slot)]]
    }
}
