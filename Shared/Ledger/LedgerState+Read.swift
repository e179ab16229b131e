extension LedgerState {
    /// Whether `agency` may read `dataset` at `atHeight`: anyone for public datasets; for internal
    /// and restricted ones the owner, the writers, and holders of a grant with `atHeight ≤ expiresAtHeight`.
    package func canRead(agency: AgencyID, dataset id: DatasetID, atHeight: UInt64) -> ReadDecision {
        guard let d = dataset(id) else { return .denied(.unknownDataset) }
        if d.sensitivity == .public { return .allowed(.publicDataset) }
        if d.owner == agency { return .allowed(.owner) }
        if d.writers.contains(agency) { return .allowed(.writer) }
        guard let g = grant(dataset: id, grantee: agency) else { return .denied(.noGrant) }
        guard atHeight <= g.expiresAtHeight else { return .denied(.grantExpired(expiredAtHeight: g.expiresAtHeight)) }
        return .allowed(.grant(expiresAtHeight: g.expiresAtHeight))
    }
}
