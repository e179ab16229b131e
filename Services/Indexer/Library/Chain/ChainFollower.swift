import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityWire
import Logging
import PostgresNIO
import ServiceLifecycle

/// Where the indexer stands, for `indexer.status`, metrics and logs.
package actor FollowerStatus {
    package private(set) var indexedHeight: UInt64 = 0
    package private(set) var indexedHash = Hash32.zero
    package private(set) var chainHeight: UInt64 = 0
    package private(set) var source = ""
    /// Blocks refused because they did not verify, by validator address.
    package private(set) var refused: [String: Int] = [:]
    package private(set) var lastError = ""
    /// True while catching up with the transactions table's indexes dropped (queries are refused).
    package private(set) var bulkLoading = false

    func indexed(_ t: ChainTracker) {
        indexedHeight = t.height
        indexedHash = t.lastHash
        chainHeight = max(chainHeight, t.height)
    }

    func following(_ address: String) { source = address }
    func saw(chainHeight h: UInt64) { chainHeight = max(chainHeight, h) }
    func refusedBlock(from address: String, _ why: String) {
        refused[address, default: 0] += 1
        lastError = why
        IndexerMetrics.refusedBlock()
    }
    func failed(_ why: String) { lastError = why }
    func bulk(_ on: Bool) { bulkLoading = on }
}

/// Follows the committed chain into PostgreSQL: subscribes to a validator's commit stream from the
/// last indexed height, verifies every block (`CertifiedChainFollower`) before it is queued, writes
/// queued blocks in batches (one transaction each, gated on the head), fails over to the next
/// validator when a stream breaks or sends a block that does not verify. Each batch is applied to
/// the ledger state (`LedgerApplier`) first: its effects plan the rows, and answers
/// (`ProvenState`) move to it once PostgreSQL holds them.
package struct ChainFollower: Service {
    let store: IndexStore
    /// The working ledger state batches are applied to (it publishes to the proven state).
    let ledger: LedgerApplier
    let genesis: Genesis
    let validators: [HostPort]
    let client: WireClient
    let status: FollowerStatus
    let maxBlocksPerWrite: Int
    /// Estimated transactions behind the head from which to catch up with the indexes dropped (0: never).
    let bulkLoadTransactions: Int
    /// Seeds a fresh index from the validators' snapshots (`--state-sync`); nil: index from genesis.
    let stateSync: StateSyncClient?
    let logger: Logger

    package init(store: IndexStore, proven: ProvenState, genesis: Genesis, validators: [HostPort], client: WireClient,
                 status: FollowerStatus, maxBlocksPerWrite: Int = 500, bulkLoadTransactions: Int = 0, stateSync: StateSyncTrust? = nil,
                 logger: Logger) throws {
        self.stateSync = stateSync.map { StateSyncClient(client: client, peers: validators, genesis: genesis, trust: $0, logger: logger) }
        self.store = store
        ledger = try LedgerApplier(genesis: genesis, proven: proven, logger: logger)
        self.genesis = genesis
        self.validators = validators
        self.client = client
        self.status = status
        self.maxBlocksPerWrite = maxBlocksPerWrite
        self.bulkLoadTransactions = bulkLoadTransactions
        self.logger = logger
    }

    package func run() async throws {
        try await cancelWhenGracefulShutdown {
            var backoff = Backoff(first: .milliseconds(200), cap: .seconds(5))
            while !Task.isCancelled {
                do {
                    try await follow()
                } catch is CancellationError {
                    return
                } catch {
                    if Task.isCancelled { return }
                    // PSQLError's own description hides the cause; explain says what the server said.
                    let why = error is PSQLError ? store.url.explain(error) : "\(error)"
                    logger.error("indexing stopped; restarting from the indexed head", metadata: ["error": "\(why)"])
                    await status.failed(why)
                    _ = try? await backoff.wait()
                }
            }
        }
    }

    /// Most transactions in one batch: batches small enough that planning the next overlaps
    /// writing this one while catching up.
    package static let maxTransactionsPerWrite = 20_000

    /// One run from the stored head until an error: the ledger state brought to the index head,
    /// then four stages together, each on the batch after the next one's: the reader (commit
    /// stream, verified blocks), the ledger (applies a batch: its effects), the planner (the
    /// effects become rows and COPY text) and the writer (PostgreSQL, then answers move to the
    /// new height).
    private func follow() async throws {
        if let stateSync, try await store.isFresh() {
            let synced = try await stateSync.fetch()
            // Started from the state just checked: no second load of what was just stored.
            if try await store.seed(from: synced, genesis: genesis) { await ledger.startFrom(synced.state, block: synced.block) }
        }
        if await ledger.baseHeight == 0, let base = try await store.stateBase() {
            await ledger.startFrom(base.state, block: base.block)
        }
        let start = try await store.openHead(genesis: genesis)
        await store.ensureAnalystRoles()
        await status.indexed(start)
        try await ledger.catchUp(to: start.height, store: store)
        let blocks = BoundedQueue<QueuedBlock>(capacity: 4 * maxBlocksPerWrite)
        let applied = BoundedQueue<(LedgerApplier.Applied, ChainTracker)>(capacity: 1)
        let planned = BoundedQueue<PlannedBatch>(capacity: 1)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.read(from: start, into: blocks) }
            group.addTask {
                while true {
                    let items = try await blocks.take(max: self.maxBlocksPerWrite, budget: Self.maxTransactionsPerWrite) {
                        $0.block.block.transactions.count
                    }
                    try await applied.put((try await self.ledger.apply(items.map(\.block)), items.last!.tracker))
                }
            }
            group.addTask {
                while true {
                    let (batch, to) = try await applied.take(max: 1)[0]
                    try await planned.put(PlannedBatch(applied: batch, prepared: IndexStore.PreparedWrite(IndexPlan(batch)), to: to))
                }
            }
            group.addTask {
                var written = start
                var bulk = try await self.store.indexesDeferred()
                await self.status.bulk(bulk)
                while true {
                    let batch = try await planned.take(max: 1)[0]
                    let perBlock = Double(batch.prepared.plan.transactions.count) / Double(max(1, batch.prepared.plan.blocks.count))
                    let behind = await self.backlog(after: batch.to, perBlock: perBlock)
                    if !bulk, self.bulkLoadTransactions > 0, behind >= Double(self.bulkLoadTransactions) {
                        bulk = try await self.bulkLoad(true, at: written)
                    }
                    // About one batch from the head: the indexes are built before this batch is
                    // written, so the batch that reaches the head finds them built (after a crash
                    // in between, that batch is still to write and this check runs again).
                    if bulk, behind < Double(min(Self.maxTransactionsPerWrite, self.bulkLoadTransactions)) {
                        bulk = try await self.bulkLoad(false, at: written)
                    }
                    try await self.write(batch.prepared, from: written, to: batch.to)
                    if !bulk { self.store.rememberWritten(batch.prepared.plan) }   // queries are refused while bulk
                    if batch.prepared.plan.erases { self.store.erased() }   // before answers reflect the batch
                    await self.ledger.publish(batch.applied)
                    written = batch.to
                    if batch.prepared.plan.registersAgency { await self.store.ensureAnalystRoles() }
                    await self.status.indexed(written)
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// Transactions between `written` and the chain's head, estimated at `perBlock` a block.
    private func backlog(after written: ChainTracker, perBlock: Double) async -> Double {
        let head = await status.chainHeight
        return head > written.height ? Double(head - written.height) * perBlock : 0
    }

    /// Drops (`on`) or builds again the transactions table's indexes; returns `on`.
    private func bulkLoad(_ on: Bool, at written: ChainTracker) async throws -> Bool {
        let began = ContinuousClock.now
        if on {
            try await store.deferIndexes()
            let head = await status.chainHeight
            logger.notice("far behind the head: catching up with the transactions table's indexes dropped; queries are refused until they are built",
                          metadata: ["index.height": "\(written.height)", "chain.height": "\(head)"])
        } else {
            logger.notice("near the head: building the transactions table's indexes", metadata: ["index.height": "\(written.height)"])
            try await store.rebuildIndexes()
            logger.notice("indexes built; answering queries", metadata: ["seconds": "\(began.duration(to: .now))"])
        }
        await status.bulk(on)
        return on
    }

    /// A batch the planner made: the state after it, its rows, and the chain position after it.
    private struct PlannedBatch: Sendable {
        var applied: LedgerApplier.Applied
        var prepared: IndexStore.PreparedWrite
        var to: ChainTracker
    }

    /// Writes one batch; when PostgreSQL refuses a payload as jsonb (one the JSON check let
    /// through), writes it again without queryable JSON rather than stop.
    private func write(_ prepared: IndexStore.PreparedWrite, from: ChainTracker, to: ChainTracker) async throws {
        do {
            try await store.write(prepared, from: from, to: to)
        } catch let e as PSQLError where (e.serverInfo?[.sqlState] ?? "").hasPrefix("22") {
            logger.warning("PostgreSQL refused a payload as jsonb; indexing these blocks without queryable JSON",
                           metadata: ["block.from": "\(prepared.plan.blocks.first?.height ?? 0)", "block.to": "\(to.height)",
                                      "error": "\(e.serverInfo?[.message] ?? "\(e)")"])
            try await store.write(prepared.plan, from: from, to: to, queryableJSON: false)
        }
    }

    /// Reads commit streams, validator after validator, verifying each block before queueing it
    /// (`CertifiedChainFollower`, shared with the gateway).
    private func read(from start: ChainTracker, into queue: BoundedQueue<QueuedBlock>) async throws {
        let follower = CertifiedChainFollower(source: DialedValidators(client: client, addresses: validators), logger: logger)
        let status = self.status
        try await follower.follow(from: start, events: { event in
            switch event {
            case .following(let name, _): await status.following(name)
            case .head(let h): await status.saw(chainHeight: h)
            case .refused(let name, let error):
                await status.refusedBlock(from: name, error.message)
                await status.following("")   // not following until the next connection (readiness)
            case .lost: await status.following("")
            }
        }) { cb, next in
            await status.saw(chainHeight: cb.height)
            try await queue.put(QueuedBlock(block: cb, tracker: next))
        }
    }
}
