import CityChainAPI
import CityEncoding
import CityLedger
import CityMerkle
import CityNode
import CityWire

/// The ledger state answers come from: the state after the last batch PostgreSQL holds
/// (published by the writer once a batch is committed), its certified header, and whether the
/// state halted. The working state the batches are applied to is `LedgerApplier`'s, apart, so
/// applying a batch never holds up a query.
package actor ProvenState {
    /// What answers read (`LedgerState.readView`, at `header`'s height).
    private var published: LedgerState
    /// The certified header of the published height (nil at genesis).
    package private(set) var header: CertifiedHeader?
    /// Announces each height answers reflect as it is reached (the feeds wake on it).
    package nonisolated let advanced = HeightWatchers()
    /// Certificates revoked on chain as of the published height: the indexer's wire server refuses
    /// them (and ends their open connections, feeds included) once the index holds the block.
    package nonisolated let revocations = CertificateRevocations()
    /// Set when a block's state root did not match: the state stops there.
    package private(set) var halted: String?
    /// The height of the snapshot the index was seeded from (0: it indexed from genesis): records
    /// written at or below it have no transaction in the index (`Prehistory`).
    package private(set) var baseHeight: UInt64 = 0

    func setBase(_ height: UInt64) { baseHeight = height }

    package init(genesis: Genesis) throws {
        published = try LedgerState(genesis: genesis).readView
    }

    /// The height answers reflect (0 when halted).
    package var height: UInt64 { halted == nil ? header?.height ?? 0 : 0 }

    /// The chain's validator set for verifying headers at the published height.
    package var validatorSet: ValidatorSet? { published.validatorSet(forHeight: published.height) }

    /// Makes `batch` what answers read, once the index holds it.
    package func publish(_ batch: LedgerApplier.Applied) {
        guard halted == nil, batch.header.height > (header?.height ?? 0) else { return }
        published = batch.state
        header = batch.header
        if batch.blocks.contains(where: { $0.block.block.revokesCertificates }) {
            revocations.revoke(batch.state.revokedCertificates)
        }
        advanced.announce(batch.header.height)
    }

    /// Answers from genesis again (the applier rebuilds).
    func reset(to genesis: LedgerState) {
        published = genesis.readView
        header = nil
    }

    /// Stops answering for good.
    func halt(_ why: String) {
        halted = why
        header = nil
    }

    /// Whether `agency` may read `dataset` now: at the published block's height and time.
    package func canRead(agency: AgencyID, dataset: DatasetID) -> ReadDecision {
        published.canRead(agency: agency, dataset: dataset, atHeight: published.height, atTimeMillis: header?.header.timeMillis ?? 0)
    }

    /// The dataset's definition.
    package func dataset(_ id: DatasetID) -> DatasetEntry? { published.dataset(id) }

    /// Whether `agency` is an admin agency.
    package func isAdmin(_ agency: AgencyID) -> Bool { published.agency(agency)?.isAdmin ?? false }

    /// A record's entry and its proof, with the header they are proven against.
    package func proveRecord(dataset: DatasetID, subject: SubjectKey) -> (CertifiedHeader, RecordEntry?, StateProof)? {
        guard let header else { return nil }
        let (entry, proof) = published.proveRecord(dataset: dataset, subject: subject)
        return (header, entry, proof)
    }

    /// The anchored batch starting at `first` for `agency`, and its proof.
    package func proveAnchor(agency: AgencyID, first: UInt64) -> (AuditAnchorEntry?, StateProof) {
        let (bytes, proof) = published.prove(.auditAnchor(agency, firstSequence: first))
        return (bytes.flatMap { try? AuditAnchorEntry(canonicalBytes: $0) }, proof)
    }

    /// The anchored batches of `agency` starting at `firsts`, with their proofs and the header they are proven against.
    package func proveAnchors(agency: AgencyID, firsts: Set<UInt64>) -> (CertifiedHeader, [UInt64: (AuditAnchorEntry?, StateProof)])? {
        guard let header else { return nil }
        var out: [UInt64: (AuditAnchorEntry?, StateProof)] = [:]
        for f in firsts { out[f] = proveAnchor(agency: agency, first: f) }
        return (header, out)
    }

    /// The state a follower starts from at the published height (`StartingStateAnswer`), with the
    /// entries of `agencies` (ids absent from the state are left out); nil before the first block.
    package func startingState(agencies: [AgencyID]) -> StartingStateAnswer? {
        guard halted == nil, let header else { return nil }
        let (_, setProof) = published.prove(.validatorSet)
        let (_, pendingProof) = published.prove(.pendingValidatorChanges)
        let proven = agencies.sorted().compactMap { id -> ProvenAgency? in
            let (_, proof) = published.prove(.agency(id))
            return published.agency(id).map { ProvenAgency(entry: $0, proof: proof) }
        }
        let (_, revokedProof) = published.prove(.revokedCertificates)
        return StartingStateAnswer(at: header, validatorSet: published.currentValidatorSet, validatorSetProof: setProof,
                                   pending: published.pendingValidatorChanges, pendingProof: pendingProof, agencies: proven,
                                   revoked: published.revokedCertificates, revokedProof: revokedProof)
    }

    /// The entries of `datasets` and `grants` that exist at the proven height, each with its proof.
    package func access(datasets: [DatasetID], grants: [(DatasetID, AgencyID)]) -> AccessAnswer? {
        guard halted == nil, let header else { return nil }
        let provenDatasets = datasets.sorted().compactMap { id -> ProvenDataset? in
            guard let entry = published.dataset(id) else { return nil }
            return ProvenDataset(entry: entry, proof: published.prove(.dataset(id)).proof)
        }
        let provenGrants = grants.sorted { $0 < $1 }.compactMap { (d, g) -> ProvenGrant? in
            guard let entry = published.grant(dataset: d, grantee: g) else { return nil }
            return ProvenGrant(dataset: d, grantee: g, entry: entry, proof: published.prove(.grant(d, g)).proof)
        }
        return AccessAnswer(at: header, datasets: provenDatasets, grants: provenGrants)
    }

    /// The next audit sequence the chain expects from `agency` (nil: it never anchored).
    package func nextAuditSequence(agency: AgencyID) -> UInt64? { published.nextAuditSequence(agency: agency) }

    /// The chain id.
    package var chainID: String { published.chainID }
}
