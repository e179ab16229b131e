import CityEncoding

/// The agencies, datasets and grants of a state, found without a list of their ids: what a node
/// that starts from a snapshot (an indexer's state sync) needs to fill its tables. Tree keys are
/// hashes, so each entry that decodes as an agency or a dataset counts only when the key its
/// own id gives is the key it is stored under; grants are looked up for every (dataset, agency)
/// pair found.
extension LedgerState {
    package struct Discovered: Sendable {
        package var agencies: [AgencyEntry] = []
        package var datasets: [DatasetEntry] = []
        package var grants: [(dataset: DatasetID, grantee: AgencyID, grant: GrantEntry)] = []
    }

    package func discoverEntries() -> Discovered {
        var found = Discovered()
        for (key, value) in tree.entries() {
            if let a = try? AgencyEntry(canonicalBytes: value), StateKey.agency(a.id).treeKey == key {
                found.agencies.append(a)
            } else if let d = try? DatasetEntry(canonicalBytes: value), StateKey.dataset(d.id).treeKey == key {
                found.datasets.append(d)
            }
        }
        found.agencies.sort { $0.id < $1.id }
        found.datasets.sort { $0.id < $1.id }
        for d in found.datasets {
            for a in found.agencies {
                if let g = grant(dataset: d.id, grantee: a.id) { found.grants.append((d.id, a.id, g)) }
            }
        }
        return found
    }
}
