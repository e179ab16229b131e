import Synchronization

/// A bounded map whose oldest entry goes first: what the queries read often and the index never
/// changes — the proof material of a block by height (`IndexStore.proofCache`: header,
/// certificate and transaction tree, read and hashed once, not on every query) and the rows of
/// recently written transactions by id (`IndexStore.recentTransactions`: a record's current
/// version is usually recent, so its point query reads no SQL). An indexed block never changes; an
/// indexed transaction changes only when an erasure drops its payload, and then the store forgets
/// every recent row (`IndexStore.erased()`).
final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var entries: [Key: Value] = [:]
        var order: [Key] = []
        var next = 0
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        precondition(capacity > 0, "a cache holds at least one entry")
        self.capacity = capacity
    }

    /// The cached value of `key`, if held.
    func get(_ key: Key) -> Value? { state.withLock { $0.entries[key] } }

    /// The cached values of `keys` (those held).
    func get(_ keys: Set<Key>) -> [Key: Value] {
        state.withLock { s in
            var out: [Key: Value] = [:]
            for k in keys { if let v = s.entries[k] { out[k] = v } }
            return out
        }
    }

    /// Keeps `entries`, dropping the oldest past the capacity.
    func put(_ entries: some Sequence<(Key, Value)>) {
        state.withLock { s in
            for (k, v) in entries where s.entries.updateValue(v, forKey: k) == nil {
                if s.order.count < capacity {
                    s.order.append(k)
                } else {
                    s.entries[s.order[s.next]] = nil
                    s.order[s.next] = k
                    s.next = (s.next + 1) % capacity
                }
            }
        }
    }

    /// Forgets every entry.
    func removeAll() {
        state.withLock { s in
            s.entries.removeAll()
            s.order.removeAll()
            s.next = 0
        }
    }

    /// How many entries are held.
    var count: Int { state.withLock { $0.entries.count } }
}
