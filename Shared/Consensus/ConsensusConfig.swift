/// Timeouts and bounds of one consensus instance; every correct validator of a chain should use the same.
package struct ConsensusConfig: Hashable, Sendable {
    /// The chain the votes and proposals are signed for.
    package var chainID: String
    /// Propose timeout of round 0, and its growth per round (`base + round × delta`).
    package var proposeBaseMillis: UInt64 = 3000
    /// Added to the propose timeout per round.
    package var proposeDeltaMillis: UInt64 = 500
    /// Prevote timeout of round 0.
    package var prevoteBaseMillis: UInt64 = 1000
    /// Added to the prevote timeout per round.
    package var prevoteDeltaMillis: UInt64 = 500
    /// Precommit timeout of round 0.
    package var precommitBaseMillis: UInt64 = 1000
    /// Added to the precommit timeout per round.
    package var precommitDeltaMillis: UInt64 = 500
    /// Period of the "re-send my proposal and votes" timer.
    package var rebroadcastMillis: UInt64 = 2000
    /// Votes and proposals more than this many rounds ahead of ours are dropped (bounds storage per height).
    package var maxRoundsAhead: UInt32 = 16
    /// Distinct proposals kept per round (more than one is equivocation; the rest are dropped).
    package var maxProposalsPerRound: Int = 2
    /// Messages for the next height kept until it starts, per sender.
    package var maxFutureMessagesPerSender: Int = 16
    /// Messages for the next height kept until it starts, in all.
    package var maxFutureMessages: Int = 1024
    /// Equivocation evidence items emitted per height at most.
    package var maxEvidencePerHeight: Int = 64
    /// Own signed messages of the height kept for re-sending (the newest ones).
    package var maxRebroadcastMessages: Int = 6

    /// Defaults for `chainID`.
    package init(chainID: String) { self.chainID = chainID }

    /// The duration of timer `kind` in `round`: `base + round × delta`, saturating.
    package func durationMillis(_ kind: ConsensusTimeout.Kind, round: UInt32) -> UInt64 {
        let (base, delta): (UInt64, UInt64) = switch kind {
        case .propose: (proposeBaseMillis, proposeDeltaMillis)
        case .prevote: (prevoteBaseMillis, prevoteDeltaMillis)
        case .precommit: (precommitBaseMillis, precommitDeltaMillis)
        case .rebroadcast: (rebroadcastMillis, 0)
        }
        let grown = delta.multipliedReportingOverflow(by: UInt64(round))
        let total = base.addingReportingOverflow(grown.partialValue)
        return grown.overflow || total.overflow ? UInt64.max : total.partialValue
    }
}
