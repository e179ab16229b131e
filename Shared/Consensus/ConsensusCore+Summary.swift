extension ConsensusCore {
    /// A one-line account of the current round for logs and failing simulator seeds: the proposals
    /// held, whether each is known valid, and the prevote power behind each in its valid round.
    package var roundSummary: String {
        guard let votes else { return "idle" }
        let held = (proposals[round] ?? []).map { p in
            let vr = p.validRound
            let polka = vr.map { votes.power(.prevote, round: $0, for: p.value.id) }
            return "\(p.value.id.hex.prefix(8)) vr\(vr.map(String.init) ?? "-") valid=\(validity[p.value.id].map(String.init) ?? "?") "
                + "polka=\(polka.map(String.init) ?? "-")/\(votes.validators.totalPower)"
        }
        return "h\(height) r\(round) \(step) proposals=[\(held.joined(separator: ", "))] "
            + "prevotes=\(votes.totalPower(.prevote, round: round)) precommits=\(votes.totalPower(.precommit, round: round))"
    }
}
