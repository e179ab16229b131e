import Synchronization

/// The proof material of the blocks answers were proven from lately, by height: a block's header,
/// certificate and transaction tree are read and hashed once, not on every query. Bounded; the
/// oldest entry goes first. Entries never go stale: an indexed block never changes (a reindex
/// starts a new process).
final class ProofCache: Sendable {
    private struct State {
        var entries: [UInt64: IndexStore.ProofMaterial] = [:]
        var order: [UInt64] = []
        var next = 0
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = capacity }

    /// The cached material of `heights` (those held).
    func get(_ heights: Set<UInt64>) -> [UInt64: IndexStore.ProofMaterial] {
        state.withLock { s in
            var out: [UInt64: IndexStore.ProofMaterial] = [:]
            for h in heights { if let m = s.entries[h] { out[h] = m } }
            return out
        }
    }

    /// Keeps `material`, dropping the oldest entries past the capacity.
    func put(_ material: [UInt64: IndexStore.ProofMaterial]) {
        state.withLock { s in
            for (h, m) in material where s.entries.updateValue(m, forKey: h) == nil {
                if s.order.count < capacity {
                    s.order.append(h)
                } else {
                    s.entries[s.order[s.next]] = nil
                    s.order[s.next] = h
                    s.next = (s.next + 1) % capacity
                }
            }
        }
    }
}
