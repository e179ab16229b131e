import CityChainAPI
import CityEncoding
import CityLedger
import CityMerkle
import CityNode
import Logging

/// The ledger state: the indexer's one interpretation of the chain. The writer applies each batch
/// of verified blocks to the working state (`apply`), checking every block's state root against its
/// certified header, plans its rows from the effects that returns, and publishes the state after
/// the batch once PostgreSQL holds it (`publish`): answers come from the published state, so they
/// never reflect a height the index does not hold yet. At start (and after a failed write) the
/// state is rebuilt from the blocks already indexed (`catchUp`).
package actor ProvenState {
    /// Where the writer applies blocks (ahead of `published` while a batch is being written).
    private var working: LedgerState
    /// What answers read (`LedgerState.readView`, at `header`'s height).
    private var published: LedgerState
    /// The certified header of the published height (nil at genesis).
    package private(set) var header: CertifiedHeader?
    /// Announces each height answers reflect as it is reached (the feeds wake on it).
    package nonisolated let advanced = HeightWatchers()
    /// Set when a block's state root did not match: the state stops there.
    package private(set) var halted: String?
    private let genesis: Genesis
    private let logger: Logger

    /// A batch applied to the working state, not yet published.
    package struct Applied: Sendable {
        /// The blocks and each one's transaction outcomes, in order.
        package var blocks: [(block: CertifiedBlock, outcomes: [TxOutcome])]
        /// The state after the last block (a read view).
        package var state: LedgerState
        /// Its certified header.
        package var header: CertifiedHeader
    }

    package init(genesis: Genesis, logger: Logger) throws {
        working = try LedgerState(genesis: genesis)
        published = working.readView
        self.genesis = genesis
        self.logger = logger
    }

    /// The height answers reflect (0 when halted).
    package var height: UInt64 { halted == nil ? header?.height ?? 0 : 0 }

    /// The height the working state has applied (ahead of `height` while a batch is written).
    package var appliedHeight: UInt64 { working.height }

    /// The chain's validator set for verifying headers at the published height.
    package var validatorSet: ValidatorSet? { published.validatorSet(forHeight: published.height) }

    /// Applies `blocks` (the next ones, verified) to the working state, checking each block's state
    /// root, and returns their outcomes and the state after them. A mismatch halts the state for good.
    package func apply(_ blocks: [CertifiedBlock]) throws -> Applied {
        if let halted { throw IndexerError(.refusedBlock, halted) }
        guard let last = blocks.last else { preconditionFailure("apply called with no blocks") }
        var out: [(block: CertifiedBlock, outcomes: [TxOutcome])] = []
        out.reserveCapacity(blocks.count)
        for cb in blocks {
            guard cb.height == working.height + 1 else {
                throw IndexerError(.refusedBlock, "block \(cb.height) arrived but the state is at \(working.height); restarting from the index head")
            }
            // In place: a copy would duplicate the replay index on every block.
            let outcomes = working.applyBlock(cb.block, signaturesVerified: { _ in true })
            let refused = outcomes.first { if case .failure = $0.result { true } else { false } }
            guard working.stateRoot == cb.block.header.stateRoot, refused == nil else {
                let why = "block \(cb.height)'s certified state root \(cb.block.header.stateRoot) is not the state this indexer computes (\(working.stateRoot)), or the indexer refuses one of its transactions; this indexer stops. The validators and this indexer disagree on the ledger rules: run the same release, then reindex"
                halted = why
                header = nil
                logger.critical("state root mismatch", metadata: ["block.height": "\(cb.height)", "error": "\(why)"])
                throw IndexerError(.refusedBlock, why)
            }
            out.append((cb, outcomes))
        }
        return Applied(blocks: out, state: working.readView, header: CertifiedHeader(header: last.block.header, certificate: last.certificate))
    }

    /// Makes `batch` what answers read, once the index holds it.
    package func publish(_ batch: Applied) {
        guard halted == nil, batch.header.height > (header?.height ?? 0) else { return }
        published = batch.state
        header = batch.header
        advanced.announce(batch.header.height)
    }

    /// Brings the state to `target` from the blocks already indexed, a page at a time, publishing as
    /// it goes: at start, and after a write that failed once its batch was applied (the working
    /// state is then ahead of the index and starts again from genesis).
    package func catchUp(to target: UInt64, store: IndexStore, page: UInt64 = 200) async throws {
        if working.height > target || working.height != published.height {
            logger.info("rebuilding the ledger state from the index", metadata: ["state.height": "\(working.height)", "index.height": "\(target)"])
            working = try LedgerState(genesis: genesis)
            published = working.readView
            header = nil
        }
        while halted == nil, working.height < target {
            let from = working.height + 1
            let blocks = try await store.certifiedBlocks(from: from, to: min(target, from + page - 1))
            guard !blocks.isEmpty else { return }
            publish(try apply(blocks))
        }
    }

    /// Whether `agency` may read `dataset` now.
    package func canRead(agency: AgencyID, dataset: DatasetID) -> ReadDecision {
        published.canRead(agency: agency, dataset: dataset, atHeight: published.height)
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

    /// The next audit sequence the chain expects from `agency` (nil: it never anchored).
    package func nextAuditSequence(agency: AgencyID) -> UInt64? { published.nextAuditSequence(agency: agency) }

    /// The chain id.
    package var chainID: String { published.chainID }
}
