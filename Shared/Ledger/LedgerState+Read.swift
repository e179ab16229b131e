extension LedgerState {
    /// Whether `agency` may read `dataset` at block `atHeight` whose time is `atTimeMillis`: anyone
    /// for public datasets; for internal and restricted ones the owner, the writers, and holders of
    /// a grant live then (`atHeight ≤ expiresAtHeight`, and `atTimeMillis < expiresAtMillis` when
    /// the grant has a time limit).
    package func canRead(agency: AgencyID, dataset id: DatasetID, atHeight: UInt64, atTimeMillis: UInt64) -> ReadDecision {
        guard let d = dataset(id) else { return .denied(.unknownDataset) }
        if d.sensitivity == .public { return .allowed(.publicDataset) }
        if d.owner == agency { return .allowed(.owner) }
        if d.writers.contains(agency) { return .allowed(.writer) }
        guard let g = grant(dataset: id, grantee: agency) else { return .denied(.noGrant) }
        guard atHeight <= g.expiresAtHeight else { return .denied(.grantExpired(expiredAtHeight: g.expiresAtHeight)) }
        guard g.expiresAtMillis == 0 || atTimeMillis < g.expiresAtMillis else {
            return .denied(.grantExpiredAtTime(expiredAtMillis: g.expiresAtMillis))
        }
        return .allowed(.grant(expiresAtHeight: g.expiresAtHeight, expiresAtMillis: g.expiresAtMillis))
    }
}
