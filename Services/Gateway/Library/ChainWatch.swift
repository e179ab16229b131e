import CityChainAPI
import CityEncoding
import CityLedger
import CityNode
import CityWire
import Logging
import ServiceLifecycle

/// Follows the committed chain through the validators' commit stream (from height 1, or from a
/// proven starting state near the head: `StartingPoint`, failing over between validators) with the shared `CertifiedChainFollower`, so every block is verified before
/// it is used: the head height for expiry checks, the agencies' signing keys for the signature
/// checks (`KeyDirectory`), and the last `keep` certified blocks, from which receipts are built
/// without asking a validator again. A validator that sends a block that does not verify is
/// logged, counted (`refusedBlocks`) and left for another. Receipts come only from verified blocks:
/// the recent ones (waited for, woken by the watch's height, no polling), or an older block a
/// validator returns, checked with the validator set the watch saw sign its height (`verifies`).
package actor ChainWatch: Service {
    private let pool: UpstreamPool
    private let keep: Int
    private let logger: Logger
    private var start: ChainTracker
    /// Where to start instead of the genesis, asked once when the watch runs (nil: the genesis).
    private let startingPoint: (@Sendable () async -> StartingPoint?)?
    /// With a start near the head: the validator sets of the blocks before it (receipts of older blocks).
    private var olderSets: TrustedValidatorSets?
    package private(set) var keys: KeyDirectory
    private var recent: BoundedFIFOMap<UInt64, CertifiedBlock>
    /// Whether the watch has reached a validator's head once.
    package private(set) var caughtUp = false
    /// Blocks refused because they did not verify, by upstream.
    package private(set) var refusedBlocks: [String: Int] = [:]
    /// The sets that signed the followed blocks, each from the first height it signed.
    private var epochs: [(from: UInt64, set: ValidatorSet)]
    /// Wakes the receipts waiting for a block.
    private nonisolated let heights = HeightWatchers()

    /// The clock the receipts' waits and the follower's retries run on (manual in tests).
    private nonisolated let clock: MonotonicClock
    /// Certificates revoked on chain as far as the watch has verified it (the gateway's wire server refuses them).
    package nonisolated let revocations: CertificateRevocations

    /// Where a watch starts near the head: the tracker and keys at a proven height, and the sets
    /// that signed the blocks up to it (all from a verified `StartingStateAnswer`).
    package struct StartingPoint: Sendable {
        package var tracker: ChainTracker
        package var keys: KeyDirectory
        package var sets: TrustedValidatorSets

        package init(tracker: ChainTracker, keys: KeyDirectory, sets: TrustedValidatorSets) {
            self.tracker = tracker
            self.keys = keys
            self.sets = sets
        }
    }

    /// A watch of the chain that starts at `genesis`, or where `startingPoint` says when it gives
    /// one; throws when the genesis does not validate.
    package init(genesis: Genesis, pool: UpstreamPool, keep: Int = 512, clock: MonotonicClock = .system,
                 startingPoint: (@Sendable () async -> StartingPoint?)? = nil,
                 revocations: CertificateRevocations = CertificateRevocations(), logger: Logger) throws {
        self.pool = pool
        self.revocations = revocations
        self.startingPoint = startingPoint
        self.clock = clock
        self.keep = keep
        recent = BoundedFIFOMap(capacity: max(1, keep))
        self.logger = logger
        start = try ChainTracker(genesis: genesis)
        keys = KeyDirectory(genesis: genesis)
        epochs = [(1, start.validatorSet)]
    }

    /// The height of the last block seen (0: none).
    package var height: UInt64 { keys.height }

    /// The certified block at `height` if it is among the recent ones.
    package func block(at height: UInt64) -> CertifiedBlock? { recent[height] }

    /// The verified block at `height`, waiting at most `timeout` for the watch to reach it (a block
    /// a validator just reported committed is on the commit stream within milliseconds). Nil when
    /// the watch did not reach it in time, or has passed it and no longer keeps it.
    package nonisolated func block(at height: UInt64, within timeout: Duration) async -> CertifiedBlock? {
        let (id, reached) = heights.watch()   // before the check: a block applied in between still wakes us
        defer { heights.unwatch(id) }
        if let b = await block(at: height) { return b }
        guard await self.height < height else { return nil }
        let arrived = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await h in reached where h >= height { return true }
                return false
            }
            group.addTask {
                try? await self.clock.sleep(for: timeout)
                return false
            }
            defer { group.cancelAll() }
            return await group.next() ?? false
        }
        return arrived ? await block(at: height) : nil
    }

    /// Whether `cb` is a block the watch has passed, certified by the set the watch saw sign its
    /// height. Its certificate may differ from the one the watch kept (each validator certifies with
    /// the precommits it collected), so a kept block is compared by hash, and the certificate checked.
    package func verifies(_ cb: CertifiedBlock) -> Bool {
        guard cb.height >= 1, cb.height <= keys.height else { return false }
        if let kept = recent[cb.height], kept.block.header.hash != cb.block.header.hash { return false }
        let set: ValidatorSet
        if let epoch = epochs.last(where: { $0.from <= cb.height }) {
            set = epoch.set
        } else if let older = try? olderSets?.validatorSet(forHeight: cb.height) {
            set = older                       // before a start near the head
        } else {
            return false
        }
        return (try? cb.verify(validatorSet: set)) != nil
    }

    /// Starts from `point` instead of the genesis (before following).
    private func adopt(_ point: StartingPoint) {
        start = point.tracker
        keys = point.keys
        publishRevocations()
        olderSets = point.sets
        epochs = [(point.tracker.height, point.tracker.validatorSet)]
        heights.announce(point.tracker.height)
        logger.info("starting near the head", metadata: ["height": "\(point.tracker.height)"])
    }

    private func apply(_ cb: CertifiedBlock, tracker: ChainTracker) {
        precondition(cb.height == keys.height + 1, "the follower hands on blocks in order")
        keys.apply(cb.block)
        if cb.block.revokesCertificates { publishRevocations() }
        recent.insert(cb, for: cb.height)
        scrubErasures(in: cb)
        if tracker.validatorSet != epochs[epochs.count - 1].set { epochs.append((cb.height, tracker.validatorSet)) }
        heights.announce(cb.height)
        if !caughtUp, let top = pool.highestHeight(), cb.height >= top {
            caughtUp = true
            logger.info("caught up with the chain", metadata: ["height": "\(cb.height)"])
        }
    }

    /// Drops from the blocks kept for receipts the payloads that the `eraseRecord`s of `cb` erase
    /// (every validator and indexer drops them too; a certified block holds accepted transactions only).
    private func scrubErasures(in cb: CertifiedBlock) {
        let erased = Set(cb.block.transactions.compactMap { tx -> [String]? in
            guard case let .eraseRecord(d, s, _) = tx.body.operation else { return nil }
            return [d.value, s.value]
        })
        guard !erased.isEmpty else { return }
        var h = cb.height > UInt64(keep) ? cb.height - UInt64(keep) : 1
        while h < cb.height {   // at most `keep` kept blocks
            if var kept = recent[h] {
                var changed = false
                for i in kept.block.transactions.indices {
                    guard case let .putRecord(d, s, _) = kept.block.transactions[i].body.operation, erased.contains([d.value, s.value]),
                          !kept.block.transactions[i].payloadErased else { continue }
                    kept.block.transactions[i] = kept.block.transactions[i].erasingPayload
                    changed = true
                }
                if changed { recent.insert(kept, for: h) }
            }
            h += 1
        }
    }

    /// Hands the revocations seen so far to the wire server.
    private func publishRevocations() {
        revocations.revoke(keys.revokedCertificates)
    }

    private func note(_ event: CertifiedChainFollower.Event) {
        switch event {
        case .refused(let name, _): refusedBlocks[name, default: 0] += 1
        case .following, .head, .lost:
            if !caughtUp, let top = pool.highestHeight(), keys.height >= top { caughtUp = true }
        }
    }

    package func run() async throws {
        try await cancelWhenGracefulShutdown {
            if let startingPoint = self.startingPoint, let point = await startingPoint() { await self.adopt(point) }
            do { try await self.follow() } catch is CancellationError {}   // shutdown: a clean stop
        }
    }

    /// Nonisolated: the follower's closures hop onto the actor for each block and event.
    private nonisolated func follow() async throws {
        let follower = CertifiedChainFollower(source: PooledValidators(pool: pool), clock: clock, logger: logger)
        try await follower.follow(from: await start, events: { event in await self.note(event) }) { cb, tracker in await self.apply(cb, tracker: tracker) }
    }
}

/// The gateway's validators as a commit-stream source: any healthy pooled connection.
struct PooledValidators: CommitStreamSource {
    let pool: UpstreamPool
    var upstreamsPerRound: Int { 1 }

    func withConnection(attempt: Int, _ body: (String, WireConnection) async throws -> Void) async throws -> Bool {
        guard let (address, conn) = pool.anyConnection() else { return false }
        try await body("\(address)", conn)
        return true
    }
}
