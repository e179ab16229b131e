import Synchronization

/// Ends a wait early: a reconnect loop sleeping out its backoff is woken when there is news that
/// the peer is back (a validator that just restarted subscribes to us), instead of leaving the
/// link down for up to the backoff's cap. A ring with nobody waiting is kept for the next wait.
package final class WakeSignal: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    package init() {}

    /// Wakes the current wait, or the next one.
    package func ring() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let w = s.waiter else { s.rung = true; return nil }
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }

    /// Sleeps `duration` on `clock`, or less when rung meanwhile (or rung before, since the last
    /// wait). Throws `CancellationError` when the task is cancelled.
    package func wait(for duration: Duration, on clock: MonotonicClock = .system) async throws {
        try Task.checkCancellation()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(for: duration) }
            group.addTask { await self.rang() }
            await group.next()
            group.cancelAll()
        }
        try Task.checkCancellation()
    }

    /// Returns once rung, or at once when the task is cancelled (the check and the store of the
    /// waiter are under one lock, so a cancellation cannot slip between them).
    private func rang() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.rung { s.rung = false; return true }
                    if Task.isCancelled { return true }
                    s.waiter = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume()
        }
    }
}

extension Backoff {
    /// `wait(on:)`, ended early when `wake` rings. False (at once) when the attempts are used up.
    package mutating func wait(on clock: MonotonicClock = .system, orUntil wake: WakeSignal) async throws -> Bool {
        guard let d = next() else { return false }
        try await wake.wait(for: d, on: clock)
        return true
    }
}
