import CityEncoding

extension Genesis {
    /// Throws `.invalidGenesis` naming the first broken rule: chain id, validator set, unique
    /// agencies and key ids, 1 ≤ threshold ≤ admins, datasets with known owners and writers.
    package func validate() throws(LedgerError) {
        func fail(_ detail: String) -> LedgerError { LedgerError(.invalidGenesis, detail) }
        do { try IdentifierRules.checkChainID(chainID, field: "chainID") } catch { throw fail(error.detail) }
        do { _ = try ValidatorSet(validators) } catch { throw fail("validators: \(error.detail)") }
        guard agencies.count <= LedgerLimits.maxGenesisEntries, datasets.count <= LedgerLimits.maxGenesisEntries else {
            throw fail("more than \(LedgerLimits.maxGenesisEntries) agencies or datasets; register the rest on chain")
        }
        var agencyIDs = Set<AgencyID>()
        for a in agencies {
            guard agencyIDs.insert(a.id).inserted else { throw fail("agency \(a.id) listed twice; list each agency once") }
            guard a.name.utf8.count <= LedgerLimits.maxNameBytes else { throw fail("agency \(a.id) name is too long") }
            guard a.keys.count <= LedgerLimits.maxKeysPerAgency else {
                throw fail("agency \(a.id) has \(a.keys.count) keys; at most \(LedgerLimits.maxKeysPerAgency)")
            }
            guard Set(a.keys.map(\.keyID)).count == a.keys.count else {
                throw fail("agency \(a.id) repeats a key id; give each key its own id")
            }
        }
        let admins = agencies.filter(\.isAdmin).count
        guard adminThreshold >= 1, Int(adminThreshold) <= admins else {
            throw fail("admin threshold \(adminThreshold) with \(admins) admin agencies; use 1 ≤ threshold ≤ admins")
        }
        try validateDatasets(agencyIDs, fail)
    }

    private func validateDatasets(_ agencyIDs: Set<AgencyID>, _ fail: (String) -> LedgerError) throws(LedgerError) {
        var datasetIDs = Set<DatasetID>()
        for d in datasets {
            guard datasetIDs.insert(d.id).inserted else { throw fail("dataset \(d.id) listed twice; list each dataset once") }
            guard agencyIDs.contains(d.owner) else { throw fail("dataset \(d.id) owner \(d.owner) is not a genesis agency") }
            guard d.schema.utf8.count <= LedgerLimits.maxSchemaBytes, d.writers.count <= LedgerLimits.maxWritersPerDataset else {
                throw fail("dataset \(d.id) schema or writer list is over its limit")
            }
            for w in d.writers where !agencyIDs.contains(w) {
                throw fail("dataset \(d.id) writer \(w) is not a genesis agency")
            }
            guard Set(d.writers).count == d.writers.count else { throw fail("dataset \(d.id) repeats a writer") }
        }
    }
}
