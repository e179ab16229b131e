import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityWire
import Foundation
import Logging
import Synchronization

/// Counters the gateway keeps (ops endpoints and `GatewayAPI.status` read them).
package struct GatewayCounters: Sendable, Hashable {
    package var submitted = 0
    package var committed = 0
    package var rejectedEarly = 0
    package var rateLimited = 0
    package var queries = 0
    package var forwardFailures = 0
}

/// The gateway's routes: submits with cheap checks, rate limits and receipts, and queries relayed
/// to indexers for the agency in the client certificate. Holds no state beyond caches and token
/// buckets: any number of gateways serve the same chain.
package final class GatewayService: Sendable {
    package let chainID: String
    private let validators: UpstreamPool
    private let indexers: UpstreamPool
    private let watch: ChainWatch
    /// Token buckets: [0] transactions, [1] queries.
    private let limits: Mutex<[RateLimiter]>
    private let counters = Mutex(GatewayCounters())
    private let logger: Logger
    /// The clock the agencies' token buckets refill on (manual in tests).
    private let clock: MonotonicClock
    /// Feeds relayed to indexers (docs/FEEDS.md, "Through a gateway").
    package let feeds: GatewayFeedRelay

    package init(chainID: String, validators: UpstreamPool, indexers: UpstreamPool, watch: ChainWatch,
                 submitLimits: RateLimiter, queryLimits: RateLimiter, logger: Logger, clock: MonotonicClock = .system) {
        self.chainID = chainID
        self.clock = clock
        self.validators = validators
        self.indexers = indexers
        self.watch = watch
        limits = Mutex([submitLimits, queryLimits])
        feeds = GatewayFeedRelay(indexers: indexers, logger: logger)
        self.logger = logger
    }

    package var counts: GatewayCounters { counters.withLock { $0 } }

    package func router() -> WireRouter {
        var r = WireRouter()
        let agencies: @Sendable (Role) -> Bool = { if case .agency = $0 { true } else { false } }
        r.unary(GatewayAPI.submit, allowedRoles: agencies) { req in
            let caller = try Self.agency(req)
            try self.limit(caller, submits: true, what: "transactions")
            do {
                let outcome = try await self.submit(try req.decode(), caller: caller)
                GatewayMetrics.submitted(outcome)
                return outcome.canonicalBytes
            } catch {
                GatewayMetrics.submitted(nil)
                throw error
            }
        }
        r.unary(GatewayAPI.receipt, allowedRoles: agencies) { req in
            let caller = try Self.agency(req)
            try self.limit(caller, submits: false, what: "queries")
            return try await self.receipt(try TxStatusRequest(canonicalBytes: req.payload).id).canonicalBytes
        }
        r.unary(GatewayAPI.status, allowedRoles: { _ in true }) { _ in await self.status().canonicalBytes }
        for kind in [IndexerAPI.record, IndexerAPI.history, IndexerAPI.dataset, IndexerAPI.transaction, IndexerAPI.block, IndexerAPI.audit,
                     IndexerAPI.validatorChanges, IndexerAPI.keyShares, IndexerAPI.access] {
            r.unary(kind, allowedRoles: agencies) { req in
                let caller = try Self.agency(req)
                try self.limit(caller, submits: false, what: "queries")
                self.counters.withLock { $0.queries += 1 }
                GatewayMetrics.query()
                let forwarded = ForwardedQuery(agency: caller, kind: kind, payload: req.payload)
                return try await self.forwardQuery(IndexerAPI.forwarded, forwarded.canonicalBytes)
            }
        }
        r.unary(IndexerAPI.status, allowedRoles: { _ in true }) { _ in try await self.forwardQuery(IndexerAPI.status, []) }
        r.stream(IndexerAPI.feed, allowedRoles: agencies) { req, writer in
            let caller = try Self.agency(req)
            try self.limit(caller, submits: false, what: "queries")
            try await self.feeds.relay(try req.decode(), for: caller, to: writer)
        }
        return r
    }

    private func limit(_ agency: AgencyID, submits: Bool, what: String) throws {
        let now = clock.now / .seconds(1)
        let i = submits ? 0 : 1
        let (result, rate) = limits.withLock { l -> (TokenBucket.TakeResult, AgencyRate) in (l[i].take(agency, now: now), l[i].rate(for: agency)) }
        if case .retryAfter(let ms) = result {
            counters.withLock { $0.rateLimited += 1 }
            GatewayMetrics.rateLimited(submit: submits)
            throw WireError(.rateLimited(retryAfterMillis: ms),
                            "agency '\(agency)' is over its rate of \(rate) \(what) at this gateway; slow down and retry after \(ms) ms")
        }
    }

    static func agency(_ req: WireRequest) throws -> AgencyID {
        guard case .agency(let id) = req.peer.role else {
            throw WireError(.forbidden, "the gateway serves agencies; connect with an agency certificate")
        }
        do { return try AgencyID(id) } catch { throw WireError(.forbidden, "the certificate names agency '\(id)', which is not a valid agency id") }
    }

    // MARK: - Submit

    /// Checks, forwards with failover, waits (up to `waitMillis`) and answers with the receipt.
    package func submit(_ s: GatewaySubmit, caller: AgencyID) async throws -> GatewayOutcome {
        let tx = s.transaction
        let id = tx.id
        counters.withLock { $0.submitted += 1 }
        let head = await watch.caughtUp ? await watch.height : nil
        do {
            try SubmitCheck.check(tx, caller: caller, chainID: chainID, headHeight: head, keys: await watch.keys)
        } catch {
            counters.withLock { $0.rejectedEarly += 1 }
            switch error {
            case .rejected(let rejection): return GatewayOutcome(id: id, state: .rejected(rejection))
            case .forbidden(let why): throw WireError(.forbidden, why)
            }
        }
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(Int64(s.waitMillis)) + .seconds(10)
        // Each attempt asks the validator to wait for the rest of the client's wait; after a
        // failover the same transaction goes to the next validator (idempotent there).
        while true {
            let left = Int64(s.waitMillis) - Int64((ContinuousClock.now - started) / .milliseconds(1))
            let wait = UInt32(max(0, left))
            let request = SubmitRequest(transaction: tx, waitMillis: wait)
            let bytes = try await validators.call(ValidatorAPI.submit, request.canonicalBytes,
                                                  attemptTimeout: .milliseconds(Int64(wait)) + .seconds(5), deadline: deadline)
            let response = try SubmitResponse(canonicalBytes: bytes)
            switch response.status {
            case .committed(let commit):
                counters.withLock { $0.committed += 1 }
                return GatewayOutcome(id: id, state: .committed(try await receipt(for: tx, at: commit, deadline: deadline)))
            case .rejected(let rejection):
                return GatewayOutcome(id: id, state: .rejected(rejection))
            case .pending, .unknown:
                if wait == 0 || ContinuousClock.now - started >= .milliseconds(Int64(s.waitMillis)) {
                    return GatewayOutcome(id: id, state: .pending)
                }
                // The validator answered before the wait ended without a commit (it restarted, or
                // its own wait ended): ask again for the time left.
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// The receipt of a transaction the validators report committed.
    package func receipt(_ id: TransactionID) async throws -> GatewayOutcome {
        let deadline = ContinuousClock.now + .seconds(10)
        let bytes = try await validators.call(ValidatorAPI.txStatus, TxStatusRequest(id: id).canonicalBytes,
                                              attemptTimeout: .seconds(5), deadline: deadline)
        switch try TxStatus(canonicalBytes: bytes) {
        case .committed(let commit):
            let block = try await certifiedBlock(commit.height, deadline: deadline)
            guard block.block.header.hash == commit.blockHash, Int(commit.index) < block.block.transactions.count,
                  block.block.transactions[Int(commit.index)].id == id else {
                throw WireError(.conflict, "the validator's commit of \(id) does not match block \(commit.height); retry (another validator will answer)")
            }
            return GatewayOutcome(id: id, state: .committed(try Self.receipt(block, index: Int(commit.index))))
        case .rejected(let r): return GatewayOutcome(id: id, state: .rejected(r))
        case .pending: return GatewayOutcome(id: id, state: .pending)
        case .unknown:
            throw WireError(.notFound, "no validator asked knows transaction \(id): submit it (resubmitting is safe), or query an indexer for older transactions")
        }
    }

    private func receipt(for tx: SignedTransaction, at commit: TxCommit, deadline: ContinuousClock.Instant) async throws -> Receipt {
        let block = try await certifiedBlock(commit.height, deadline: deadline)
        let i = Int(commit.index)
        guard block.block.header.hash == commit.blockHash, i < block.block.transactions.count,
              block.block.transactions[i].id == tx.id else {
            throw WireError(.conflict, "the validator reported \(tx.id) at \(commit.height).\(commit.index) but that block holds something else; retry the submit (it is idempotent)")
        }
        return try Self.receipt(block, index: i)
    }

    static func receipt(_ block: CertifiedBlock, index: Int) throws -> Receipt {
        guard let proof = block.block.inclusionProof(forTransactionAt: index) else {
            throw WireError(.internal, "no inclusion proof for position \(index) of block \(block.height)")
        }
        return Receipt(ProvenTransaction(transaction: block.block.transactions[index], proof: proof,
                                         header: CertifiedHeader(header: block.block.header, certificate: block.certificate)))
    }

    /// Block `height` with its certificate, verified: from the watch (waiting for it to arrive on
    /// the commit stream, at most 5 s), or, for a block older than the watch keeps, asked of a
    /// validator and checked with the set the watch saw sign that height. Never an unverified block.
    private func certifiedBlock(_ height: UInt64, deadline: ContinuousClock.Instant) async throws -> CertifiedBlock {
        if let b = await watch.block(at: height, within: min(deadline - ContinuousClock.now, .seconds(5))) { return b }
        if let b = await watch.block(at: height) { return b }   // reached just after the wait ended
        let seen = await watch.height
        guard seen >= height else {
            throw WireError(.unavailable, "the gateway's verified view of the chain is at height \(seen), not yet \(height) (it is catching up); ask for the receipt again (gateway.receipt) with the same id")
        }
        let bytes = try await validators.call(ValidatorAPI.blocks, BlocksRequest(from: height, maxCount: 1).canonicalBytes,
                                              attemptTimeout: .seconds(5), deadline: max(deadline, ContinuousClock.now + .seconds(5)))
        guard let b = try BlocksResponse(canonicalBytes: bytes).blocks.first, b.height == height, await watch.verifies(b) else {
            throw WireError(.unavailable, "no validator returned a block \(height) that verifies; ask for the receipt again (gateway.receipt) with the same id")
        }
        return b
    }

    // MARK: - Queries

    private func forwardQuery(_ kind: MessageKind, _ payload: [UInt8]) async throws -> [UInt8] {
        do {
            return try await indexers.call(kind, payload, attemptTimeout: .seconds(10), deadline: ContinuousClock.now + .seconds(15))
        } catch let e as WireError where e.code == .unavailable {
            counters.withLock { $0.forwardFailures += 1 }
            throw WireError(.unavailable, "no indexer answered: \(e.message)")
        }
    }

    package func status() async -> GatewayStatus {
        GatewayStatus(chainID: chainID, headHeight: await watch.height, validators: validators.health(), indexers: indexers.health())
    }
}
