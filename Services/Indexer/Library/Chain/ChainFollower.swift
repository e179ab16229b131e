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
}

/// Follows the committed chain into PostgreSQL: subscribes to a validator's commit stream from the
/// last indexed height, verifies every block (`CertifiedChainFollower`) before it is queued, writes
/// queued blocks in batches (one transaction each, gated on the head), fails over to the next
/// validator when a stream breaks or sends a block that does not verify. Each batch is applied to
/// the ledger state (`ProvenState`) first: its effects plan the rows, and answers move to it once
/// PostgreSQL holds them.
package struct ChainFollower: Service {
    let store: IndexStore
    let proven: ProvenState
    let genesis: Genesis
    let validators: [HostPort]
    let client: WireClient
    let status: FollowerStatus
    let maxBlocksPerWrite: Int
    let logger: Logger

    package init(store: IndexStore, proven: ProvenState, genesis: Genesis, validators: [HostPort], client: WireClient,
                 status: FollowerStatus, maxBlocksPerWrite: Int = 500, logger: Logger) {
        self.store = store
        self.proven = proven
        self.genesis = genesis
        self.validators = validators
        self.client = client
        self.status = status
        self.maxBlocksPerWrite = maxBlocksPerWrite
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
                    logger.error("indexing stopped; restarting from the indexed head", metadata: ["error": "\(error)"])
                    await status.failed("\(error)")
                    _ = try? await backoff.wait()
                }
            }
        }
    }

    /// One run from the stored head until an error: the ledger state brought to the index head,
    /// then the reader and the writer together.
    private func follow() async throws {
        let start = try await store.openHead(genesis: genesis)
        await store.ensureAnalystRoles()
        await status.indexed(start)
        try await proven.catchUp(to: start.height, store: store)
        let queue = BlockQueue(capacity: 4 * maxBlocksPerWrite)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.read(from: start, into: queue) }
            group.addTask {
                var written = start
                while true {
                    let items = try await queue.take(max: self.maxBlocksPerWrite)
                    guard let last = items.last else { continue }
                    // The state applies the batch (its effects are the plan's input), PostgreSQL
                    // takes the rows, then answers move to the new height.
                    let applied = try await self.proven.apply(items.map(\.block))
                    let plan = IndexPlan(applied)
                    try await self.write(plan, from: written, to: last.tracker)
                    await self.proven.publish(applied)
                    written = last.tracker
                    if plan.registersAgency { await self.store.ensureAnalystRoles() }
                    await self.status.indexed(written)
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// Writes one plan; when PostgreSQL refuses a payload as jsonb (one the JSON check let
    /// through), writes the batch again without queryable JSON rather than stop.
    private func write(_ plan: IndexPlan, from: ChainTracker, to: ChainTracker) async throws {
        do {
            try await store.write(plan, from: from, to: to)
        } catch let e as PSQLError where (e.serverInfo?[.sqlState] ?? "").hasPrefix("22") {
            logger.warning("PostgreSQL refused a payload as jsonb; indexing these blocks without queryable JSON",
                           metadata: ["block.from": "\(plan.blocks.first?.height ?? 0)", "block.to": "\(to.height)",
                                      "error": "\(e.serverInfo?[.message] ?? "\(e)")"])
            try await store.write(plan, from: from, to: to, queryableJSON: false)
        }
    }

    /// Reads commit streams, validator after validator, verifying each block before queueing it
    /// (`CertifiedChainFollower`, shared with the gateway).
    private func read(from start: ChainTracker, into queue: BlockQueue) async throws {
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
            try await queue.put(BlockQueue.Item(block: cb, tracker: next))
        }
    }
}
