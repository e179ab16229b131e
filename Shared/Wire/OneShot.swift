import Synchronization

/// A value delivered once from one task to one waiter; the waiter's cancellation delivers
/// `CancellationError`. Used for client responses and server cancel signals.
package final class OneShot<Value: Sendable>: Sendable {
    private struct State {
        var result: Result<Value, any Error>?
        var waiter: CheckedContinuation<Value, any Error>?
    }

    private let state = Mutex(State())

    /// An empty one-shot.
    package init() {}

    /// Delivers `result` unless one was delivered already; returns whether this call delivered.
    @discardableResult
    package func complete(_ result: Result<Value, any Error>) -> Bool {
        let (delivered, waiter) = state.withLock { s -> (Bool, CheckedContinuation<Value, any Error>?) in
            guard s.result == nil else { return (false, nil) }
            s.result = result
            defer { s.waiter = nil }
            return (true, s.waiter)
        }
        waiter?.resume(with: result)
        return delivered
    }

    /// Waits for the result (only one task may wait).
    package func value() async throws -> Value {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Value, any Error>) in
                let ready = state.withLock { s -> Result<Value, any Error>? in
                    if let r = s.result { return r }
                    precondition(s.waiter == nil, "OneShot supports a single waiter")
                    s.waiter = c
                    return nil
                }
                if let ready { c.resume(with: ready) }
            }
        } onCancel: {
            complete(.failure(CancellationError()))
        }
    }
}
