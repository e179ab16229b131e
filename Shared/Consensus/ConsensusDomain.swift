/// Signing-domain tags of consensus messages that the ledger does not define itself (votes use
/// `LedgerDomain.vote`), written as a canonical string before the signed fields.
package enum ConsensusDomain {
    /// Prefix of the bytes a proposal's proposer signs.
    package static let proposal = "citychain/proposal/v1"
}
