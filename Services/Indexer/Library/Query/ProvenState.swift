import CityChainAPI
import CityEncoding
import CityLedger
import CityMerkle
import CityNode
import Logging

/// The ledger state at the height answers reflect: the indexer replays the blocks it indexed (from
/// PostgreSQL, certified so without re-checking signatures) into its own `LedgerState`, checks each
/// block's state root against the certified header, and proves current values (and absence),
/// grants and audit anchors from it. Trails the PostgreSQL head by at most one read of blocks.
package actor ProvenState {
    private var state: LedgerState
    /// The certified header of `state.height` (nil at genesis).
    package private(set) var header: CertifiedHeader?
    /// Announces each height answers reflect as it is reached (the feeds wake on it).
    package nonisolated let advanced = HeightWatchers()
    /// Set when a block's state root did not match: the state stops there.
    package private(set) var halted: String?
    private let logger: Logger

    package init(genesis: Genesis, logger: Logger) throws {
        state = try LedgerState(genesis: genesis)
        self.logger = logger
    }

    /// The height answers reflect (the state's, or where it halted).
    package var height: UInt64 { header?.height ?? (halted == nil ? state.height : 0) }

    /// The chain's validator set for verifying headers at the current height.
    package var validatorSet: ValidatorSet? { state.validatorSet(forHeight: state.height) }

    /// Applies `blocks` (the next ones, already verified when indexed), checking state roots.
    package func apply(_ blocks: [CertifiedBlock]) throws {
        guard halted == nil else { return }
        for cb in blocks {
            guard cb.height == state.height + 1 else { continue }
            // In place (a copy would duplicate the replay index on every block); on a mismatch the
            // state is past `header` and every answer is refused from then on.
            _ = state.applyBlock(cb.block, signaturesVerified: { _ in true })
            guard state.stateRoot == cb.block.header.stateRoot else {
                let why = "block \(cb.height)'s certified state root \(cb.block.header.stateRoot) is not the state this indexer computes (\(state.stateRoot)); this indexer stops answering. The validators and this indexer disagree on the ledger rules: run the same release, then reindex"
                halted = why
                header = nil
                logger.critical("state root mismatch", metadata: ["block.height": "\(cb.height)", "error": "\(why)"])
                throw IndexerError(.refusedBlock, why)
            }
            header = CertifiedHeader(header: cb.block.header, certificate: cb.certificate)
        }
        if let h = header?.height { advanced.announce(h) }
    }

    /// Brings the state up to `target` from the index, a page of blocks at a time.
    package func catchUp(to target: UInt64, store: IndexStore, page: UInt64 = 200) async throws {
        while halted == nil, state.height < target {
            let from = state.height + 1
            let blocks = try await store.certifiedBlocks(from: from, to: min(target, from + page - 1))
            guard !blocks.isEmpty else { return }
            try apply(blocks)
        }
    }

    /// Whether `agency` may read `dataset` now.
    package func canRead(agency: AgencyID, dataset: DatasetID) -> ReadDecision {
        state.canRead(agency: agency, dataset: dataset, atHeight: state.height)
    }

    /// The dataset's definition.
    package func dataset(_ id: DatasetID) -> DatasetEntry? { state.dataset(id) }

    /// Whether `agency` is an admin agency.
    package func isAdmin(_ agency: AgencyID) -> Bool { state.agency(agency)?.isAdmin ?? false }

    /// A record's entry and its proof, with the header they are proven against.
    package func proveRecord(dataset: DatasetID, subject: SubjectKey) -> (CertifiedHeader, RecordEntry?, StateProof)? {
        guard let header else { return nil }
        let (entry, proof) = state.proveRecord(dataset: dataset, subject: subject)
        return (header, entry, proof)
    }

    /// The anchored batch starting at `first` for `agency`, and its proof.
    package func proveAnchor(agency: AgencyID, first: UInt64) -> (AuditAnchorEntry?, StateProof) {
        let (bytes, proof) = state.prove(.auditAnchor(agency, firstSequence: first))
        return (bytes.flatMap { try? AuditAnchorEntry(canonicalBytes: $0) }, proof)
    }

    /// The anchored batches of `agency` starting at `firsts`, with their proofs and the header they are proven against.
    package func proveAnchors(agency: AgencyID, firsts: Set<UInt64>) -> (CertifiedHeader, [UInt64: (AuditAnchorEntry?, StateProof)])? {
        guard let header else { return nil }
        var out: [UInt64: (AuditAnchorEntry?, StateProof)] = [:]
        for f in firsts { out[f] = proveAnchor(agency: agency, first: f) }
        return (header, out)
    }

    /// The next audit sequence the chain expects from `agency` (nil: it never anchored).
    package func nextAuditSequence(agency: AgencyID) -> UInt64? { state.nextAuditSequence(agency: agency) }

    /// The chain id.
    package var chainID: String { state.chainID }
}
