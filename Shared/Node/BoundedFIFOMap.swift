/// A map that holds at most `capacity` keys and forgets the oldest inserted one to make room: the
/// bounded cache of the resilience kit (issue 15). Inserting a key already present replaces its
/// value and keeps its place. Pure value type; wrap it in a `Mutex` or an actor to share it.
package struct BoundedFIFOMap<Key: Hashable, Value> {
    /// Most keys held.
    package let capacity: Int
    private var values: [Key: Value] = [:]
    private var order: [Key] = []
    private var head = 0   // index in `order` of the oldest key still held

    /// An empty map of at most `capacity` keys (at least 1).
    package init(capacity: Int) {
        precondition(capacity > 0, "a bounded map holds at least one key")
        self.capacity = capacity
        values.reserveCapacity(capacity)
    }

    /// The value for `key`, if held.
    package subscript(key: Key) -> Value? { values[key] }

    /// Keys held now.
    package var count: Int { values.count }

    /// Holds `value` for `key`, forgetting the oldest key when full.
    package mutating func insert(_ value: Value, for key: Key) {
        if values.updateValue(value, forKey: key) != nil { return }
        order.append(key)
        if values.count > capacity {
            values.removeValue(forKey: order[head])
            head += 1
        }
        if head >= capacity {   // compact the consumed prefix now and then: amortised O(1)
            order.removeFirst(head)
            head = 0
        }
        assert(values.count <= capacity && order.count - head == values.count, "every held key is in the order once")
    }

    /// Forgets every key (a cache whose values went stale at once, e.g. blocks whose payloads were erased).
    package mutating func removeAll() {
        values.removeAll(keepingCapacity: true)
        order.removeAll()
        head = 0
    }
}

extension BoundedFIFOMap: Sendable where Key: Sendable, Value: Sendable {}
