import CityChainAPI
import CityLedger
import CityPKI
import CityWire
import Logging
import ServiceLifecycle
import Synchronization

/// Limits of the feeds one indexer serves (docs/FEEDS.md, "Limits").
package struct FeedLimits: Sendable {
    /// Events buffered for one subscriber that reads slower than changes arrive; beyond it the feed
    /// ends with `tooSlow` (after the buffered events), never slowing the indexer or other feeds.
    package var maxBufferedEvents = 1024
    /// Changes read from the index in one query.
    package var pageSize = 200
    /// A feed with nothing to send sends a heartbeat (its cursor at the visible height) this often.
    package var heartbeatInterval: Duration = .seconds(1)
    /// Longest one feed runs before it ends with `expired` (the client resumes).
    package var maxDuration: Duration = .seconds(6 * 3600)
    /// Feeds on this indexer.
    package var maxFeeds = 2000
    /// Feeds per reading agency.
    package var maxFeedsPerAgency = 16

    package init() {}
}

/// Serves feeds (kinds 0x0209 and, for gateways, 0x020A): the access check and admission first
/// (refusals are typed errors), then a producer that reads matching changes from the index page by
/// page up to the proven height — re-checking the agency's grants at every height, recording
/// disclosures before a change leaves — into a bounded buffer, and a sender that writes the buffer
/// to the stream. When the buffer is full the producer stops and the feed ends, after what was
/// buffered, with `tooSlow` and the cursor to resume from.
package final class FeedService: Sendable {
    let store: IndexStore
    let proven: ProvenState
    let queries: QueryService
    package let hub: FeedHub
    let limits: FeedLimits
    /// Changes proven and encoded once for every feed (the live edge is shared by most subscribers).
    package let provenCache = ProvenCache()
    /// Pages read once for every feed at the same cursor with the same filter.
    package let pages = FeedPages()
    private let admission: Mutex<FeedAdmission>
    let logger: Logger

    package init(store: IndexStore, proven: ProvenState, queries: QueryService, limits: FeedLimits = FeedLimits(), logger: Logger) {
        self.store = store
        self.proven = proven
        self.queries = queries
        self.limits = limits
        hub = FeedHub(source: proven.advanced) { await proven.height }
        admission = Mutex(FeedAdmission(maxFeeds: limits.maxFeeds, maxFeedsPerAgency: limits.maxFeedsPerAgency))
        self.logger = logger
    }

    /// Feeds open now.
    package var openFeeds: Int { admission.withLock { $0.total } }

    /// Waits for the shared reads and proofs still in flight (they outlive the feed that started
    /// them): called after the server stopped, before the database client goes.
    package func settle() async {
        await pages.settle()
        await provenCache.settle()
    }

    /// Adds the feed kinds to `router`.
    package func addRoutes(to router: inout WireRouter) {
        let agencies: @Sendable (Role) -> Bool = { if case .agency = $0 { true } else { false } }
        router.stream(IndexerAPI.feed, allowedRoles: agencies) { req, writer in
            try await self.serve(try req.decode(FeedRequest.self), reader: try QueryService.reader(req), writer: writer)
        }
        router.stream(IndexerAPI.forwardedFeed, allowedRoles: { $0 == .gateway }) { req, writer in
            let f: ForwardedFeed = try req.decode()
            try await self.serve(f.request, reader: f.agency, writer: writer)
        }
    }

    /// Serves one feed until it ends, the client cancels or the connection goes.
    package func serve(_ q: FeedRequest, reader: AgencyID, writer: StreamWriter) async throws {
        for p in q.predicates where p.op != .exists && !StrictJSON.isValue(p.value) {
            throw WireError(.invalidRequest, "predicate \(p) compares with '\(p.value)', which is not a JSON value; quote strings (zone=\"B\")")
        }
        var disclosed: Set<DatasetID> = []
        for d in q.datasets {
            if try await queries.authorize(reader, d, purpose: q.purpose) { disclosed.insert(d) }
        }
        _ = try await queries.provenHeader()
        try admission.withLock { a throws(WireError) in try a.admit(reader) }
        defer { admission.withLock { $0.release(reader) } }
        let (id, wakeups) = hub.watch()
        defer { hub.unwatch(id) }

        let buffer = FeedBuffer(capacity: limits.maxBufferedEvents)
        let feed = Feed(service: self, request: q, reader: reader, disclosed: disclosed, buffer: buffer)
        async let ending = feed.produce(wakeups: wakeups, start: await proven.height)
        for await batch in buffer.batches {
            try await writer.send(contentsOf: batch)
            buffer.sent(batch.count)
        }
        let end = try await ending
        logger.debug("feed ended", metadata: ["feed.agency": "\(reader)", "feed.end": "\(end)"])
        try await writer.send(FeedEvent.end(end).canonicalBytes)
    }
}

/// The producing side of one feed.
private struct Feed: Sendable {
    let service: FeedService
    let request: FeedRequest
    let reader: AgencyID
    /// Datasets whose reads are disclosed (internal, restricted).
    let disclosed: Set<DatasetID>
    let buffer: FeedBuffer

    /// Fills the buffer until the feed must end; returns why (the buffer is finished either way).
    func produce(wakeups: AsyncStream<UInt64>, start visible: UInt64) async throws -> FeedEnd {
        defer { buffer.finish() }
        let clock = ContinuousClock()
        let deadline = clock.now + service.limits.maxDuration
        var progress = FeedProgress(start: request.start, visibleHeight: visible)
        var lastSent = clock.now
        if case .now = request.start {
            _ = buffer.offer([FeedEvent.heartbeat(progress.delivered).canonicalBytes])
        }
        var iterator = wakeups.makeAsyncIterator()
        while true {
            if Task.isShuttingDownGracefully {
                return FeedEnd(.indexerStopping, resumeAfter: progress.delivered, message: "the indexer is shutting down; resume after this cursor on another indexer or once it is back")
            }
            if clock.now >= deadline {
                return FeedEnd(.expired, resumeAfter: progress.delivered, message: "this feed ran for the longest time an indexer serves one feed; resume after this cursor")
            }
            let height = await service.proven.height
            if let denied = await accessEnd(progress.delivered, height: height) { return denied }
            while progress.behind(visibleHeight: height) {
                let rows = try await service.pages.page(request, after: progress.scanned, maxHeight: height,
                                                        limit: service.limits.pageSize, store: service.store)
                if let full = try await hand(rows, &progress, height: height) { return full }
                if !rows.isEmpty { lastSent = clock.now }
                if rows.count < service.limits.pageSize { progress.scanned(through: height) }
            }
            if clock.now - lastSent >= service.limits.heartbeatInterval {
                let c = progress.heartbeat() ?? progress.delivered
                guard buffer.offer([FeedEvent.heartbeat(c).canonicalBytes]) == 1 else { return tooSlow(progress) }
                lastSent = clock.now
            }
            guard await iterator.next() != nil else {
                return FeedEnd(.indexerStopping, resumeAfter: progress.delivered, message: "the indexer is shutting down; resume after this cursor on another indexer or once it is back")
            }
        }
    }

    /// Proves `rows`, records disclosures, then buffers them; a `tooSlow` end when the buffer is full
    /// (after the ones that fit, which count as delivered).
    private func hand(_ rows: [StoredTransaction], _ progress: inout FeedProgress, height: UInt64) async throws -> FeedEnd? {
        guard !rows.isEmpty else { return nil }
        let changes = try await service.provenCache.prove(rows, store: service.store)
        var subjects: [DatasetID: [SubjectKey?]] = [:]
        for row in rows { if let d = row.dataset, disclosed.contains(d) { subjects[d, default: []].append(row.subject) } }
        for (d, list) in subjects.sorted(by: { $0.key < $1.key }) {
            var seen = Set<SubjectKey?>()
            try await service.queries.disclose(reader, d, list.filter { seen.insert($0).inserted }, purpose: request.purpose,
                                               kind: IndexerAPI.feed, height: height)
        }
        let fit = buffer.offer(changes.lazy.map(\.event))
        for c in changes.prefix(fit) { progress.deliver(c.cursor) }
        return fit < changes.count ? tooSlow(progress) : nil
    }

    private func tooSlow(_ progress: FeedProgress) -> FeedEnd {
        FeedEnd(.tooSlow, resumeAfter: progress.delivered,
                message: "more than \(service.limits.maxBufferedEvents) events waited for this subscriber; resume after this cursor and read faster")
    }

    /// The end when the reader may no longer read a dataset of the feed at `height`.
    private func accessEnd(_ cursor: ChainCursor, height: UInt64) async -> FeedEnd? {
        for d in request.datasets {
            switch await service.proven.canRead(agency: reader, dataset: d) {
            case .allowed: continue
            case .denied(.grantExpired(let h)):
                return FeedEnd(.grantExpired, resumeAfter: cursor, message: "agency '\(reader)''s grant on dataset '\(d)' expired at height \(h); ask its owner to renew it, then resume")
            case .denied(.grantExpiredAtTime(let t)):
                return FeedEnd(.grantExpired, resumeAfter: cursor, message: "agency '\(reader)''s grant on dataset '\(d)' expired at block time \(ReadDecision.isoTime(t)); ask its owner to renew it, then resume")
            case .denied(let why):
                return FeedEnd(.accessRevoked, resumeAfter: cursor, message: "agency '\(reader)' may no longer read dataset '\(d)' at height \(height) (\(why)); its grant was revoked")
            }
        }
        return nil
    }
}
