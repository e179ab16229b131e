/// Virtual-time event queue: a binary min-heap ordered by (time, sequence number), so events at
/// the same millisecond run in the order they were scheduled and runs replay exactly.
struct EventQueue<Event> {
    private struct Entry {
        let time: UInt64
        let seq: UInt64
        let event: Event
        func before(_ o: Entry) -> Bool { (time, seq) < (o.time, o.seq) }
    }

    private var heap: [Entry] = []
    private var nextSeq: UInt64 = 0
    /// Bound on pending events; exceeding it is a simulator bug (a runaway message storm).
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { heap.count }

    mutating func push(_ event: Event, at time: UInt64) {
        precondition(heap.count < capacity, "event queue over its bound of \(capacity)")
        heap.append(Entry(time: time, seq: nextSeq, event: event))
        nextSeq += 1
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].before(heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> (time: UInt64, event: Event)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var i = 0
        while true {
            let (l, r) = (2 * i + 1, 2 * i + 2)
            var m = i
            if l < heap.count && heap[l].before(heap[m]) { m = l }
            if r < heap.count && heap[r].before(heap[m]) { m = r }
            guard m != i else { break }
            heap.swapAt(i, m)
            i = m
        }
        return (top.time, top.event)
    }
}
