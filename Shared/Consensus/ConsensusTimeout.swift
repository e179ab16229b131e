import CityEncoding
/// A timer the core asked for: it acts only if height, round and step still match when it fires (rule 10).
@MemberwiseInit
package struct ConsensusTimeout: Hashable, Sendable, CustomStringConvertible {
    /// Which timer.
    package enum Kind: UInt8, Hashable, Sendable {
        /// Rule 10: no proposal in time, prevote nil.
        case propose
        /// Rule 10 after rule 4: no prevote quorum for one value in time, precommit nil.
        case prevote
        /// Rule 10 after rule 7: no decision in time, next round.
        case precommit
        /// Gossip: re-send this node's proposal and votes of the current height (lossy links).
        case rebroadcast
    }

    /// The height it was scheduled for.
    package var height: UInt64
    /// The round it was scheduled for (ignored by `rebroadcast`).
    package var round: UInt32
    /// Which timer.
    package var kind: Kind

    package var description: String { "timeout(\(kind) h=\(height) r=\(round))" }
}
