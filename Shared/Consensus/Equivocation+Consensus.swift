import CityLedger

extension Equivocation {
    /// The ledger form of what the consensus core reported, in canonical order: votes as they are,
    /// proposals as their signed headers (the value replaced by its id, which is what was signed).
    package init<Value: ConsensusValue>(_ evidence: EquivocationEvidence<Value>) {
        switch evidence {
        case let .votes(first, second): self.init(votes: first, second)
        case let .proposals(first, second): self.init(proposals: first.signedHeader, second.signedHeader)
        }
    }
}
