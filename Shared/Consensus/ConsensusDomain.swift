import CityLedger

/// Signing-domain tags of consensus messages. Votes use `LedgerDomain.vote` and proposals
/// `LedgerDomain.proposal`: the ledger verifies both in equivocation evidence, so it owns them.
package enum ConsensusDomain {
    /// Prefix of the bytes a proposal's proposer signs (the ledger's `LedgerDomain.proposal`).
    package static let proposal = LedgerDomain.proposal
}
