import CityChainAPI
import CityEncoding
import CityLedger
import CityWire
import Logging
import ServiceLifecycle

/// Follows the committed chain through the validators' commit stream (from height 1, failing over
/// between validators): the head height for expiry checks, the agencies' signing keys for the
/// signature checks (`KeyDirectory`), and the last `keep` certified blocks, from which receipts
/// are built without asking a validator again. The blocks are not re-verified here: receipts carry
/// the certificate and the client checks them; the keys only let the gateway refuse early.
package actor ChainWatch: Service {
    private let pool: UpstreamPool
    private let keep: Int
    private let logger: Logger
    package private(set) var keys: KeyDirectory
    private var recent: [UInt64: CertifiedBlock] = [:]
    /// Whether the watch has reached a validator's head once.
    package private(set) var caughtUp = false
    private var following: String?

    package init(genesis: Genesis, pool: UpstreamPool, keep: Int = 512, logger: Logger) {
        self.pool = pool
        self.keep = keep
        self.logger = logger
        keys = KeyDirectory(genesis: genesis)
    }

    /// The height of the last block seen (0: none).
    package var height: UInt64 { keys.height }

    /// The certified block at `height` if it is among the recent ones.
    package func block(at height: UInt64) -> CertifiedBlock? { recent[height] }

    private func apply(_ cb: CertifiedBlock) {
        guard cb.height == keys.height + 1 else { return }
        keys.apply(cb.block)
        recent[cb.height] = cb
        if cb.height > UInt64(keep) { recent[cb.height - UInt64(keep)] = nil }
        if !caughtUp, let top = pool.highestHeight(), cb.height >= top {
            caughtUp = true
            logger.info("caught up with the chain", metadata: ["height": "\(cb.height)"])
        }
    }

    private func markCaughtUpIfIdle() {
        if !caughtUp, let top = pool.highestHeight(), keys.height >= top { caughtUp = true }
    }

    package func run() async throws {
        try await cancelWhenGracefulShutdown {
            do { try await self.follow() } catch is CancellationError {}   // shutdown: a clean stop
        }
    }

    private func follow() async throws {
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled {
            markCaughtUpIfIdle()
            guard let (address, conn) = pool.anyConnection() else {
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            do {
                following = "\(address)"
                logger.debug("following the commit stream", metadata: ["validator": "\(address)", "from": "\(keys.height + 1)"])
                for try await payload in conn.stream(ValidatorAPI.commits, CommitsRequest(from: keys.height + 1).canonicalBytes) {
                    apply(try CertifiedBlock(canonicalBytes: payload))
                    delay = .milliseconds(100)
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.notice("commit stream lost; following another validator", metadata: ["validator": "\(address)", "error": "\(error)"])
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
        }
    }
}
