import CityChainAPI
import CityEncoding
import CityLedger
import CityNode
import CityWire
import Logging
import ServiceLifecycle

/// Follows the committed chain through the validators' commit stream (from height 1, failing over
/// between validators) with the shared `CertifiedChainFollower`, so every block is verified before
/// it is used: the head height for expiry checks, the agencies' signing keys for the signature
/// checks (`KeyDirectory`), and the last `keep` certified blocks, from which receipts are built
/// without asking a validator again. A validator that sends a block that does not verify is
/// logged, counted (`refusedBlocks`) and left for another.
package actor ChainWatch: Service {
    private let pool: UpstreamPool
    private let keep: Int
    private let logger: Logger
    private let start: ChainTracker
    package private(set) var keys: KeyDirectory
    private var recent: BoundedFIFOMap<UInt64, CertifiedBlock>
    /// Whether the watch has reached a validator's head once.
    package private(set) var caughtUp = false
    /// Blocks refused because they did not verify, by upstream.
    package private(set) var refusedBlocks: [String: Int] = [:]

    /// A watch of the chain that starts at `genesis`; throws when the genesis does not validate.
    package init(genesis: Genesis, pool: UpstreamPool, keep: Int = 512, logger: Logger) throws {
        self.pool = pool
        self.keep = keep
        recent = BoundedFIFOMap(capacity: max(1, keep))
        self.logger = logger
        start = try ChainTracker(genesis: genesis)
        keys = KeyDirectory(genesis: genesis)
    }

    /// The height of the last block seen (0: none).
    package var height: UInt64 { keys.height }

    /// The certified block at `height` if it is among the recent ones.
    package func block(at height: UInt64) -> CertifiedBlock? { recent[height] }

    private func apply(_ cb: CertifiedBlock) {
        precondition(cb.height == keys.height + 1, "the follower hands on blocks in order")
        keys.apply(cb.block)
        recent.insert(cb, for: cb.height)
        if !caughtUp, let top = pool.highestHeight(), cb.height >= top {
            caughtUp = true
            logger.info("caught up with the chain", metadata: ["height": "\(cb.height)"])
        }
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
            do { try await self.follow() } catch is CancellationError {}   // shutdown: a clean stop
        }
    }

    /// Nonisolated: the follower's closures hop onto the actor for each block and event.
    private nonisolated func follow() async throws {
        let follower = CertifiedChainFollower(source: PooledValidators(pool: pool), logger: logger)
        try await follower.follow(from: start, events: { event in await self.note(event) }) { cb, _ in await self.apply(cb) }
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
