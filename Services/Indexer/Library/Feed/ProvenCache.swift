import CityChainAPI
import CityLedger

/// A committed change ready for every feed that matches it: proven once and encoded once as the
/// `FeedEvent.change` stream item, whose bytes every such feed sends as they are.
package struct FeedChange: Sendable {
    /// Where it is in the chain.
    package let cursor: ChainCursor
    /// `FeedEvent.change(…)`'s canonical bytes.
    package let event: [UInt8]
}

/// Changes proven and encoded once for every feed of an indexer. A committed change goes to each
/// subscriber whose feed matches it, and proving it — reading the block's proof material from
/// PostgreSQL, building its Merkle path — and encoding it are the expensive parts, so they are done
/// once per change, not once per subscriber: feeds waking together for the same new block wait on
/// the one proof in flight rather than each proving it (single flight). Bounded: the oldest entries
/// go first (a subscriber far behind proves its own pages again; the live edge, where most feeds
/// are, stays cached).
package actor ProvenCache {
    private typealias Flight = Task<[ChainCursor: FeedChange], any Error>
    private var entries: [ChainCursor: FeedChange] = [:]
    private var inFlight: [ChainCursor: Flight] = [:]
    private var order: [ChainCursor] = []
    private var head = 0
    private let capacity: Int
    /// The store's erasure epoch the entries were proven in: they go when it moves.
    private var epoch: UInt64 = 0
    /// Rows proven (for tests and the bench: a change proven twice shows here).
    package private(set) var proved = 0

    package init(capacity: Int = 20_000) { self.capacity = max(1, capacity) }

    /// `rows` proven and encoded, in their order: cached ones reused, ones another feed is proving
    /// awaited, the rest proven by `store` and kept.
    package func prove(_ rows: [StoredTransaction], store: IndexStore) async throws -> [FeedChange] {
        let now = store.erasureEpoch
        if now != epoch {
            (entries, order, head, epoch) = ([:], [], 0, now)
        }
        var flights: [Flight] = []
        var missing: [StoredTransaction] = []
        for row in rows {
            let key = Self.cursor(row)
            if entries[key] != nil { continue }
            if let f = inFlight[key] {
                if !flights.contains(f) { flights.append(f) }
            } else {
                missing.append(row)
            }
        }
        if !missing.isEmpty {
            let batch = missing
            let flight: Flight = Task.detached {
                let proven = try await store.prove(batch)
                return Dictionary(proven.map { ($0.cursor, FeedChange(cursor: $0.cursor, event: FeedEvent.change($0).canonicalBytes)) },
                                  uniquingKeysWith: { a, _ in a })
            }
            for row in missing { inFlight[Self.cursor(row)] = flight }
            proved += missing.count
            flights.append(flight)
        }
        var got: [ChainCursor: FeedChange] = [:]
        for f in flights {
            // Other feeds run meanwhile (actor reentrancy); the flight's owner entries are cleared once.
            let result: Result<[ChainCursor: FeedChange], any Error> = await f.result
            for (key, flight) in inFlight where flight == f { inFlight[key] = nil }
            let changes = try result.get()
            for (key, change) in changes {
                if store.erasureEpoch == now, epoch == now { insert(change) }
                got[key] = change
            }
        }
        return try rows.map { row in
            let key = Self.cursor(row)
            if let c = got[key] ?? entries[key] { return c }
            throw ProvenCacheMiss(cursor: key)
        }
    }

    /// Waits until no proof is in flight.
    package func settle() async {
        while let f = inFlight.values.first {
            _ = await f.result
            inFlight = inFlight.filter { $0.value != f }
        }
    }

    /// Entries held now.
    package var count: Int { entries.count }

    private static func cursor(_ row: StoredTransaction) -> ChainCursor {
        ChainCursor(height: row.height, index: UInt32(clamping: row.index))
    }

    private func insert(_ c: FeedChange) {
        let key = c.cursor
        guard entries[key] == nil else { return }
        if order.count < capacity {
            order.append(key)
        } else {
            entries[order[head]] = nil
            order[head] = key
            head = (head + 1) % capacity
        }
        entries[key] = c
    }
}

/// A row the cache could not prove (the store answered without it).
package struct ProvenCacheMiss: Error, CustomStringConvertible {
    let cursor: ChainCursor
    package var description: String { "the feed's proof cache has no proof of \(cursor); the index may be missing its block — reindex" }
}
