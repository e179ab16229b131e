import CityChainAPI
import CityLedger
import CityWire
import Logging
import Synchronization

/// Relays agencies' feeds (kind 0x0209) to indexers as `ForwardedFeed` (0x020A) on the pool's
/// persistent connections, with the agency the gateway authenticated. When the indexer goes away
/// or ends the feed with `indexerStopping`, it resumes after the last cursor passed on, on another
/// healthy indexer, so the client sees one feed; `FeedTracker` drops anything resent. Bounded:
/// `maxFeeds` relayed at once (each holds a request slot on an upstream connection), and
/// `maxAttempts` upstream attempts per feed without progress.
package final class GatewayFeedRelay: Sendable {
    let indexers: UpstreamPool
    let maxFeeds: Int
    let maxAttempts: Int
    let logger: Logger
    private let open = Mutex(0)

    package init(indexers: UpstreamPool, maxFeeds: Int = 64, maxAttempts: Int = 50, logger: Logger) {
        precondition(maxFeeds > 0 && maxAttempts > 0)
        self.indexers = indexers
        self.maxFeeds = maxFeeds
        self.maxAttempts = maxAttempts
        self.logger = logger
    }

    /// Feeds relayed now.
    package var openFeeds: Int { open.withLock { $0 } }

    /// Relays `request` for `agency` to `writer` until the feed ends or the client goes.
    package func relay(_ request: FeedRequest, for agency: AgencyID, to writer: StreamWriter) async throws {
        let admitted = open.withLock { n -> Bool in
            guard n < maxFeeds else { return false }
            n += 1
            return true
        }
        guard admitted else {
            throw WireError(.unavailable, "this gateway relays its maximum of \(maxFeeds) feeds (max feeds per gateway); subscribe on an indexer directly or through another gateway")
        }
        defer { open.withLock { $0 -= 1 } }
        var tracker = FeedTracker(initial: request.start)
        var failures = 0
        var lastError = "no indexer is healthy"
        while failures < maxAttempts {
            try Task.checkCancellation()
            guard let (address, conn) = indexers.anyConnection() else {
                failures += 1
                try await Task.sleep(for: .milliseconds(200))
                continue
            }
            var q = request
            q.start = tracker.start
            let before = tracker.cursor
            do {
                let forwarded = ForwardedFeed(agency: agency, request: q).canonicalBytes
                for try await payload in conn.stream(IndexerAPI.forwardedFeed, forwarded) {
                    let event = try FeedEvent(canonicalBytes: payload)
                    switch tracker.accept(event) {
                    case .deliver, .advanced:
                        try await writer.send(payload)
                    case .duplicate:
                        continue
                    case .ended(let end) where end.reason == .indexerStopping:
                        lastError = "\(address) stopped"
                    case .ended:
                        try await writer.send(payload)
                        return
                    }
                }
            } catch let e as WireError where [.forbidden, .notFound, .invalidRequest, .unknownKind].contains(e.code) {
                throw e
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastError = "\(address): \(error)"
                logger.debug("feed relay lost its indexer; resuming on another", metadata: ["upstream": "\(address)", "error": "\(error)"])
            }
            failures = tracker.cursor == before ? failures + 1 : 0
            try await Task.sleep(for: .milliseconds(50))
        }
        throw WireError(.unavailable, "the feed could not be resumed on any indexer (\(lastError)); resume after your last cursor later")
    }
}
