import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityWire
import Logging

/// The validator's message kinds on a `WireRouter` (docs/PROTOCOL.md, Part 6), each with who may
/// call it. Blocks and the commit stream carry internal datasets' payloads, so agencies read them
/// through the indexer (which applies grants), not here.
package enum ValidatorRoutes {
    static let chainReaders: Set<Role> = [.validator, .indexer, .gateway, .admin]

    /// The router for `node`, gossiping through `hub`.
    package static func router(node: ValidatorNode, hub: GossipHub, commands: AsyncStream<EngineCommand>.Continuation,
                               logger: Logger) -> WireRouter {
        var r = WireRouter()
        // Indexers submit only their audit anchors (checked in `submit`).
        r.unary(ValidatorAPI.submit, allowedRoles: { role in role != .registry }) { req in
            try await submit(req, node: node).canonicalBytes
        }
        r.unary(ValidatorAPI.txStatus, allowedRoles: { _ in true }) { req in
            await node.status(of: try req.decode(TxStatusRequest.self).id).canonicalBytes
        }
        r.unary(ValidatorAPI.status, allowedRoles: { _ in true }) { _ in
            await node.status().canonicalBytes
        }
        r.unary(ValidatorAPI.blocks, allowedRoles: chainReaders) { req in
            let q = try req.decode(BlocksRequest.self)
            return try await node.certifiedBlocks(from: q.from, maxCount: q.maxCount).canonicalBytes
        }
        r.stream(ValidatorAPI.commits, allowedRoles: chainReaders) { req, writer in
            try await commits(from: try req.decode(CommitsRequest.self).from, node: node, writer: writer)
        }
        r.unary(ValidatorAPI.proposalTransactions, allowedRoles: [.validator]) { req in
            try await node.proposalTransactions(try req.decode(ProposalTransactionsRequest.self)).canonicalBytes
        }
        // State sync (issue 18): validators and indexers starting from a snapshot.
        let snapshots = SnapshotServer(directory: node.snapshotDirectory)
        r.unary(ValidatorAPI.snapshots, allowedRoles: [.validator, .indexer]) { _ in
            try snapshots.offers().canonicalBytes
        }
        r.unary(ValidatorAPI.snapshotChunk, allowedRoles: [.validator, .indexer]) { req in
            try snapshots.chunk(try req.decode(SnapshotChunkRequest.self)).canonicalBytes
        }
        r.stream(ValidatorAPI.gossip, allowedRoles: [.validator]) { req, writer in
            let subscribe = try req.decode(GossipSubscribe.self)
            if !subscribe.advertise.isEmpty { commands.yield(.follow(subscribe.advertise)) }
            try await gossip(to: writer, hub: hub, node: node)
        }
        return r
    }

    /// Admits the transaction (signatures verified here, in parallel with other requests) and,
    /// when asked, waits for its commit.
    static func submit(_ req: WireRequest, node: ValidatorNode) async throws -> SubmitResponse {
        guard req.payload.count <= LedgerLimits.maxTransactionBytes + 16 else {
            throw WireError(.invalidRequest, "a transaction of \(req.payload.count) bytes is over the limit of \(LedgerLimits.maxTransactionBytes)")
        }
        // At the admission bound a submission is refused before it is even decoded: under
        // overload, refusals must cost next to nothing (issue 13 item 5).
        if let retry = node.admission.refusal {
            throw WireError(.rateLimited(retryAfterMillis: retry), "the validator is at its admission bound; retry after \(retry) ms")
        }
        let q = try req.decode(SubmitRequest.self)
        let tx = q.transaction
        if req.peer.role == .indexer {
            guard case .anchorAuditBatch = tx.body.operation else {
                throw WireError(.forbidden, "an indexer certificate submits only audit anchors (anchorAuditBatch), not \(tx.body.operation.name)")
            }
        }
        var verified = node.verifiedSignatures.contains(tx)
        if !verified {
            let keys = await node.signingKeys(SignatureCheck.signers(of: [tx]))
            verified = SignatureCheck.verify(tx, keys: keys)
            if verified { node.verifiedSignatures.insert(tx) }
        }
        let id = tx.id
        var status = try await node.submit(tx, encodedBytes: tx.encodedSize, signaturesVerified: verified)
        if case .pending = status, q.waitMillis > 0 {
            status = await waitForCommit(id, millis: q.waitMillis, node: node)
        }
        return SubmitResponse(id: id, status: status)
    }

    /// The status of `id` once committed, or after `millis` (still pending or unknown).
    static func waitForCommit(_ id: TransactionID, millis: UInt32, node: ValidatorNode) async -> TxStatus {
        let (watcher, heights) = node.heights.watch()
        defer { node.heights.unwatch(watcher) }
        return await withTaskGroup(of: TxStatus?.self) { group in
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int64(millis)))
                return nil
            }
            group.addTask {
                if case .committed(let c) = await node.status(of: id) { return .committed(c) }
                for await _ in heights {
                    if case .committed(let c) = await node.status(of: id) { return .committed(c) }
                }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            if let first { return first }
            return await node.status(of: id)
        }
    }

    /// Streams certified blocks from `from`: the stored ones, then each new commit.
    static func commits(from: UInt64, node: ValidatorNode, writer: StreamWriter) async throws {
        let (watcher, heights) = node.heights.watch()
        defer { node.heights.unwatch(watcher) }
        var next = from
        var iterator = heights.makeAsyncIterator()
        while !Task.isCancelled {
            let tip = await node.durableHeight
            while next <= tip {   // bounded by the durable tip
                try await writer.send(try await node.certifiedBlockBytes(at: next))
                next += 1
            }
            guard await iterator.next() != nil else { return }
        }
    }

    /// Sends this node's gossip to one subscriber: its height first, then batches as they are queued.
    static func gossip(to writer: StreamWriter, hub: GossipHub, node: ValidatorNode) async throws {
        let (id, outbox) = hub.subscribe()
        defer { hub.unsubscribe(id) }
        try await writer.send(GossipBatch(items: [.height(await node.height)]).canonicalBytes)
        for await _ in outbox.wakeups {
            // One batch at a time, so consensus items queued while a transaction burst drains go
            // out in the next batch, not after the whole burst.
            while true {
                let (items, _) = outbox.take(maxItems: gossipItemsPerSend)
                if items.isEmpty { break }
                for batch in chunks(items) { try await writer.send(batch) }
            }
        }
    }

    /// Items taken from an outbox per send: small enough that a consensus item waits behind at most
    /// this many transactions.
    static let gossipItemsPerSend = 512

    /// Encoded batches of `items`, each under about 3 MiB and `GossipBatch.maxItems`.
    static func chunks(_ items: [GossipItem]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var w = CanonicalWriter(capacity: 4096)
        var count = 0
        func flush() {
            guard count > 0 else { return }
            var framed = CanonicalWriter(capacity: w.bytes.count + 4)
            framed.u32(UInt32(count))
            framed.fixed(w.bytes)
            out.append(framed.bytes)
            w = CanonicalWriter(capacity: 4096)
            count = 0
        }
        for item in items {
            let encoded = item.canonicalBytes
            if count > 0 && (w.bytes.count + encoded.count > 3 * 1024 * 1024 || count >= GossipBatch.maxItems) { flush() }
            w.fixed(encoded)
            count += 1
        }
        flush()
        return out
    }
}
