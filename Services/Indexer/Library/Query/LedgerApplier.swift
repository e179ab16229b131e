import CityChainAPI
import CityLedger
import Logging

/// The indexer's working ledger state: the one interpretation of the chain. The planner applies
/// each batch of verified blocks here (`apply`), checking the state root against the last
/// block's certified header; the effects it returns become the batch's rows (`IndexPlan`), and the state
/// after it is published to `ProvenState` once PostgreSQL holds the batch. An actor apart from
/// `ProvenState`, so queries never wait for a batch being applied.
package actor LedgerApplier {
    private var working: LedgerState
    private let genesis: Genesis
    /// The state the index starts from: genesis, or the snapshot it was seeded from (state sync).
    private var base: (state: LedgerState, header: CertifiedHeader?)
    private let proven: ProvenState
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

    package init(genesis: Genesis, proven: ProvenState, logger: Logger) throws {
        working = try LedgerState(genesis: genesis)
        base = (working, nil)
        self.genesis = genesis
        self.proven = proven
        self.logger = logger
    }

    /// The height applied (ahead of the published height while a batch is written).
    package var height: UInt64 { working.height }

    /// Applies `blocks` (the next ones, verified) and returns their outcomes and the state after
    /// them. The tree is hashed once per batch (`LedgerState.applyBlocks`) and the last block's
    /// certified state root checked: the state published is the one after the last block, and a
    /// wrong state before it cannot hash to that root. A mismatch, or a transaction of a certified
    /// block that these rules refuse, halts the proven state for good.
    package func apply(_ blocks: [CertifiedBlock]) async throws -> Applied {
        if let halted = await proven.halted { throw IndexerError(.refusedBlock, halted) }
        guard let first = blocks.first, let last = blocks.last else { preconditionFailure("apply called with no blocks") }
        for (i, cb) in blocks.enumerated() where cb.height != working.height + 1 + UInt64(i) {
            throw IndexerError(.refusedBlock, "block \(cb.height) arrived but the state is at \(working.height + UInt64(i)); restarting from the index head")
        }
        // In place: a copy would duplicate the replay index.
        // Certified (the follower verified each certificate) and checked by the last root below.
        let outcomes = working.applyBlocks(blocks.map(\.block), certified: true, signaturesVerified: { _ in true })
        let refused = outcomes.joined().first { if case .failure = $0.result { true } else { false } }
        guard working.stateRoot == last.block.header.stateRoot, refused == nil else {
            let why = "blocks \(first.height)–\(last.height): the certified state root \(last.block.header.stateRoot) of block \(last.height) is not the state this indexer computes (\(working.stateRoot))"
                + (refused.map { ", and these rules refuse transaction \($0.transactionID)" } ?? "")
                + "; this indexer stops. The validators and this indexer disagree on the ledger rules: run the same release, then reindex"
            await proven.halt(why)
            logger.critical("state root mismatch", metadata: ["block.height": "\(last.height)", "error": "\(why)"])
            throw IndexerError(.refusedBlock, why)
        }
        return Applied(blocks: Array(zip(blocks, outcomes).map { (block: $0, outcomes: $1) }), state: working.readView,
                       header: CertifiedHeader(header: last.block.header, certificate: last.certificate))
    }

    /// Starts from `state` (the snapshot the index was seeded from, at `block`) instead of genesis.
    package func startFrom(_ state: LedgerState, block: CertifiedBlock) async {
        base = (state, CertifiedHeader(header: block.block.header, certificate: block.certificate))
        await proven.setBase(state.height)
        if working.height < state.height { try? await reset() }
    }

    /// The height of the state the index starts from (0: genesis).
    package var baseHeight: UInt64 { base.state.height }

    /// The working state back at the base, published as what answers read.
    private func reset() async throws {
        working = base.state
        await proven.reset(to: working)
        if let header = base.header {
            await proven.publish(Applied(blocks: [], state: working.readView, header: header))
        }
    }

    /// Publishes `batch` once the index holds it.
    package func publish(_ batch: Applied) async {
        await proven.publish(batch)
    }

    /// Brings the state to `target` from the blocks already indexed, a page at a time, publishing as
    /// it goes: at start, and after a write that failed once its batch was applied (the working
    /// state is then ahead of the index and starts again from genesis).
    package func catchUp(to target: UInt64, store: IndexStore, page: UInt64 = 200) async throws {
        // Ahead of what answers read: a write failed after its batch was applied.
        let published = await proven.header?.height ?? 0
        if working.height > target || working.height != published {
            logger.info("rebuilding the ledger state from the index", metadata: ["state.height": "\(working.height)", "index.height": "\(target)",
                                                                                 "state.base": "\(base.state.height)"])
            try await reset()
        }
        while working.height < target {
            let from = working.height + 1
            let blocks = try await store.certifiedBlocks(from: from, to: min(target, from + page - 1))
            guard !blocks.isEmpty else { return }
            await publish(try await apply(blocks))
        }
    }
}
