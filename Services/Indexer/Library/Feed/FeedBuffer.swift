import Synchronization

/// One feed's bounded buffer between its producer (index reads) and its sender (the stream):
/// encoded events in batches, so the sender writes a page with one flush. At most `capacity`
/// events wait; the producer learns how many of a batch fit and never waits itself.
package final class FeedBuffer: Sendable {
    /// The batches, for the sender.
    package let batches: AsyncStream<[[UInt8]]>
    private let continuation: AsyncStream<[[UInt8]]>.Continuation
    private let waiting = Mutex(0)
    private let capacity: Int

    package init(capacity: Int) {
        precondition(capacity > 0, "a feed buffer holds at least one event")
        self.capacity = capacity
        (batches, continuation) = AsyncStream.makeStream(of: [[UInt8]].self, bufferingPolicy: .unbounded)
    }

    /// Buffers the longest prefix of `events` that fits; returns how many that is.
    package func offer<C: Collection<[UInt8]>>(_ events: C) -> Int {
        let n = waiting.withLock { w in
            let n = min(events.count, capacity - w)
            w += max(0, n)
            assert(w <= capacity, "a feed buffer never holds more than its capacity")
            return max(0, n)
        }
        if n > 0 { continuation.yield(Array(events.prefix(n))) }
        return n
    }

    /// The sender wrote `count` events.
    package func sent(_ count: Int) {
        waiting.withLock { w in
            w -= count
            assert(w >= 0, "the sender wrote more events than were buffered")
        }
    }

    /// No more events: the sender ends after the buffered ones.
    package func finish() { continuation.finish() }
}
