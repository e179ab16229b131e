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
/// validator when a stream breaks or sends a block that does not verify, and keeps the proven
/// state (`ProvenState`) following the index.
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

    /// One run from the stored head until an error: reader, writer and state tasks together.
    private func follow() async throws {
        let start = try await store.openHead(genesis: genesis)
        await store.ensureAnalystRoles()
        let initialSensitivities = try await store.sensitivities()
        await status.indexed(start)
        let queue = BlockQueue(capacity: 4 * maxBlocksPerWrite)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.read(from: start, into: queue) }
            group.addTask {
                var written = start
                var sensitivities = initialSensitivities
                while true {
                    let items = try await queue.take(max: self.maxBlocksPerWrite)
                    guard let last = items.last else { continue }
                    let blocks = items.map(\.block)
                    let versions = try await self.store.versions(of: IndexPlan.touchedRecords(blocks))
                    let known = sensitivities
                    let plan = IndexPlan(blocks: blocks, versions: versions, sensitivity: { known[$0] })
                    do {
                        try await self.store.write(plan, from: written, to: last.tracker)
                    } catch let e as PSQLError where (e.serverInfo?[.sqlState] ?? "").hasPrefix("22") {
                        // PostgreSQL refused a value (a payload the JSON check let through): index
                        // these blocks without queryable JSON rather than stop.
                        self.logger.warning("PostgreSQL refused a payload as jsonb; indexing these blocks without queryable JSON",
                                            metadata: ["block.from": "\(blocks[0].height)", "block.to": "\(last.block.height)",
                                                       "error": "\(e.serverInfo?[.message] ?? "\(e)")"])
                        try await self.store.write(plan, from: written, to: last.tracker, queryableJSON: false)
                    }
                    written = last.tracker
                    if plan.changes.contains(where: { if case .agency = $0 { true } else { false } }) { await self.store.ensureAnalystRoles() }
                    sensitivities.merge(plan.newDatasets) { a, _ in a }
                    await self.status.indexed(written)
                }
            }
            group.addTask {
                // The proven state follows the index (the state needs the blocks in PostgreSQL first).
                while true {
                    let target = await self.status.indexedHeight
                    if await self.proven.height < target, await self.proven.halted == nil {
                        try await self.proven.catchUp(to: target, store: self.store)
                    } else {
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
            }
            defer { group.cancelAll() }
            try await group.next()
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
