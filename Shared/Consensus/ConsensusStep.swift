/// The step within a round, ordered as the algorithm walks them (`propose < prevote < precommit`).
package enum ConsensusStep: UInt8, Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Waiting for (or making) the round's proposal.
    case propose = 0
    /// Prevoted; collecting prevotes.
    case prevote = 1
    /// Precommitted; collecting precommits.
    case precommit = 2

    package static func < (a: ConsensusStep, b: ConsensusStep) -> Bool { a.rawValue < b.rawValue }

    package var description: String {
        switch self {
        case .propose: "propose"
        case .prevote: "prevote"
        case .precommit: "precommit"
        }
    }
}
