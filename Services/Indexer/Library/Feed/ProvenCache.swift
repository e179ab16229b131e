import CityChainAPI
import CityLedger

/// Proven changes shared by every feed of an indexer. A committed change goes to each subscriber
/// whose feed matches it, and proving it — reading the block's proof material from PostgreSQL and
/// building its Merkle path — is the expensive part, so it is done once per change, not once per
/// subscriber. Bounded: the oldest entries go first (a subscriber far behind proves its own pages
/// again; the live edge, where most feeds are, stays cached).
package actor ProvenCache {
    private var entries: [ChainCursor: ProvenTransaction] = [:]
    private var order: [ChainCursor] = []
    private var head = 0
    private let capacity: Int

    package init(capacity: Int = 20_000) { self.capacity = max(1, capacity) }

    /// `rows` proven, in their order: cached ones reused, the rest proven by `store` and kept.
    package func prove(_ rows: [StoredTransaction], store: IndexStore) async throws -> [ProvenTransaction] {
        let missing = rows.filter { entries[ChainCursor(height: $0.height, index: UInt32(clamping: $0.index))] == nil }
        if !missing.isEmpty {
            // Another feed may prove the same rows meanwhile (actor reentrancy): harmless, same answer.
            for p in try await store.prove(missing) { insert(p) }
        }
        return try rows.map { row in
            let key = ChainCursor(height: row.height, index: UInt32(clamping: row.index))
            if let p = entries[key] { return p }
            // Evicted between the insert and here (a page larger than the capacity): prove it alone.
            throw ProvenCacheMiss(cursor: key)
        }
    }

    /// Entries held now.
    package var count: Int { entries.count }

    private func insert(_ p: ProvenTransaction) {
        let key = p.cursor
        guard entries[key] == nil else { return }
        if order.count < capacity {
            order.append(key)
        } else {
            entries[order[head]] = nil
            order[head] = key
            head = (head + 1) % capacity
        }
        entries[key] = p
    }
}

/// A row the cache could not hold long enough (only when one page exceeds its capacity).
package struct ProvenCacheMiss: Error, CustomStringConvertible {
    let cursor: ChainCursor
    package var description: String { "the feed's proof cache could not hold \(cursor); raise its capacity above the feed page size" }
}
