import CityEncoding
import CityLedger
import CityMerkle
import CityWire

extension IndexerAPI {
    /// The datasets of the chain and the grants that concern the asking agency (given on datasets
    /// it owns, or held by it), each proven under the state root: empty payload → `AccessAnswer`.
    /// Agencies (a gateway relays it). What `citychain console` shows as "datasets" and "grants".
    package static let access = MessageKind(.indexer, 0x0E)
    /// Most datasets, and most grants, one `AccessAnswer` carries (more: `unavailable`).
    package static let maxAccessEntries = 4096
}

/// A dataset's state entry and its state proof. Encoding: DatasetEntry entry, StateProof proof.
@MemberwiseInit
package struct ProvenDataset: Hashable, Sendable, CanonicalCodable {
    package var entry: DatasetEntry
    package var proof: StateProof

    package func encode(to w: inout CanonicalWriter) { w.encode(entry); w.encode(proof) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        entry = try r.decode()
        proof = try r.decode()
    }
}

/// A grant's state entry (dataset, grantee) and its state proof.
/// Encoding: DatasetID dataset, AgencyID grantee, GrantEntry entry, StateProof proof.
@MemberwiseInit
package struct ProvenGrant: Hashable, Sendable, CanonicalCodable {
    package var dataset: DatasetID
    package var grantee: AgencyID
    package var entry: GrantEntry
    package var proof: StateProof

    package func encode(to w: inout CanonicalWriter) { w.encode(dataset); w.encode(grantee); w.encode(entry); w.encode(proof) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        dataset = try r.decode()
        grantee = try r.decode()
        entry = try r.decode()
        proof = try r.decode()
    }
}

/// The chain's datasets and the grants that concern the reader, at the height of `at`, each
/// proven under its state root. Datasets in strictly increasing id order; grants in strictly
/// increasing (dataset, grantee) order. Neither list is proven complete (the state tree is keyed
/// by hash): an indexer can leave an entry out, never change one.
///
/// Encoding: CertifiedHeader at, array<ProvenDataset> datasets (≤ 4096), array<ProvenGrant> grants (≤ 4096).
@MemberwiseInit
package struct AccessAnswer: Hashable, Sendable, CanonicalCodable {
    package var at: CertifiedHeader
    package var datasets: [ProvenDataset]
    package var grants: [ProvenGrant]

    /// Throws unless `at` is certified by the set `sets` gives for its height, the lists are in
    /// order, and every entry is the one under `at`'s state root.
    package func verify(validatorSet sets: some ValidatorSetSource) throws(ProofFailure) {
        try at.verify(validatorSet: sets)
        let root = at.header.stateRoot
        var previous: DatasetID?
        for d in datasets {
            guard previous.map({ $0 < d.entry.id }) ?? true else { throw ProofFailure("the datasets are not in strictly increasing id order at '\(d.entry.id)'") }
            previous = d.entry.id
            guard LedgerState.verify(.dataset(d.entry.id), entry: d.entry, proof: d.proof, stateRoot: root) else {
                throw ProofFailure("the definition of dataset '\(d.entry.id)' is not the one under the state root of block \(at.height)")
            }
        }
        var last: (DatasetID, AgencyID)?
        for g in grants {
            guard last.map({ $0 < (g.dataset, g.grantee) }) ?? true else {
                throw ProofFailure("the grants are not in strictly increasing (dataset, grantee) order at '\(g.dataset)'/'\(g.grantee)'")
            }
            last = (g.dataset, g.grantee)
            guard LedgerState.verify(.grant(g.dataset, g.grantee), entry: g.entry, proof: g.proof, stateRoot: root) else {
                throw ProofFailure("the grant of '\(g.dataset)' to '\(g.grantee)' is not the one under the state root of block \(at.height)")
            }
        }
    }

    /// Whether `agency` may read `dataset` at this answer's height and block time (the ledger's rule,
    /// `LedgerState.canRead`, applied to the proven entries).
    package func canRead(_ agency: AgencyID, _ dataset: DatasetEntry) -> Bool {
        if dataset.sensitivity == .public || dataset.owner == agency || dataset.writers.contains(agency) { return true }
        guard let g = grants.first(where: { $0.dataset == dataset.id && $0.grantee == agency }) else { return false }
        return g.entry.isLive(atHeight: at.height, timeMillis: at.header.timeMillis)
    }

    package func encode(to w: inout CanonicalWriter) { w.encode(at); w.array(datasets); w.array(grants) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        at = try r.decode()
        datasets = try r.array(max: IndexerAPI.maxAccessEntries, "AccessAnswer.datasets")
        grants = try r.array(max: IndexerAPI.maxAccessEntries, "AccessAnswer.grants")
    }
}
