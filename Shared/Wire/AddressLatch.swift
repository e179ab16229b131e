import NIOCore
import Synchronization

/// Holds the address a server bound, for any number of waiters (tests bind port 0 and ask).
final class AddressLatch: Sendable {
    private struct State {
        var result: Result<SocketAddress, any Error>?
        var waiters: [Int: CheckedContinuation<SocketAddress, any Error>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    /// Sets the result once; later calls are ignored.
    func resolve(_ result: Result<SocketAddress, any Error>) {
        let waiters = state.withLock { s -> [CheckedContinuation<SocketAddress, any Error>] in
            guard s.result == nil else { return [] }
            s.result = result
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume(with: result) }
    }

    /// Waits for the result; a cancelled waiter throws `CancellationError`.
    func value() async throws -> SocketAddress {
        let id = state.withLock { s in s.nextWaiter += 1; return s.nextWaiter }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<SocketAddress, any Error>) in
                let ready = state.withLock { s -> Result<SocketAddress, any Error>? in
                    if let r = s.result { return r }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    s.waiters[id] = c
                    return nil
                }
                if let ready { c.resume(with: ready) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }
}
