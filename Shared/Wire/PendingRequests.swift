/// The client's table of requests waiting for answers, keyed by request id (pure bookkeeping,
/// kept behind the connection's lock).
struct PendingRequests {
    /// Who waits for an id's answer.
    enum Waiter {
        /// A unary request or ping: one response, pong or error.
        case unary(OneShot<[UInt8]>)
        /// A stream: items, then an end or an error.
        case stream(AsyncThrowingStream<[UInt8], any Error>.Continuation)
    }

    private var nextID: UInt32 = 1
    private var waiters: [UInt32: Waiter] = [:]
    private var closedReason: WireError?
    private let maxWaiting: Int

    init(maxWaiting: Int) {
        precondition(maxWaiting > 0, "maxWaiting must be positive")
        self.maxWaiting = maxWaiting
    }

    /// Allocates a fresh non-zero id for `waiter`; throws once the connection closed or when full.
    mutating func register(_ waiter: Waiter) throws(WireError) -> UInt32 {
        if let closedReason { throw closedReason }
        guard waiters.count < maxWaiting else {
            throw WireError(.tooManyInFlight, "\(maxWaiting) requests already wait on this connection; await some first")
        }
        // Ids wrap around; 0 is reserved for connection-level frames; ids still waiting are skipped.
        repeat {
            defer { nextID = nextID == UInt32.max ? 1 : nextID + 1 }
            if waiters[nextID] == nil {
                waiters[nextID] = waiter
                return nextID
            }
        } while true
    }

    /// The waiter of `id`, left in place (for stream items).
    func waiter(_ id: UInt32) -> Waiter? { waiters[id] }

    /// Removes and returns the waiter of `id`.
    mutating func remove(_ id: UInt32) -> Waiter? { waiters.removeValue(forKey: id) }

    /// Refuses new requests with `reason` and returns everyone still waiting.
    mutating func close(_ reason: WireError) -> [Waiter] {
        if closedReason == nil { closedReason = reason }
        defer { waiters = [:] }
        return Array(waiters.values)
    }
}
