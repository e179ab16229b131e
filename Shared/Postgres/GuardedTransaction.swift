import Logging
import PostgresNIO
import Synchronization

/// The connection to PostgreSQL closed while an operation used it (the server crashed or
/// restarted, or the network dropped it). Whatever the operation wrote in its transaction was not
/// committed unless the server had answered COMMIT; callers that write idempotently (the indexer's
/// gated head) read the head again and retry.
package struct PostgresConnectionClosed: Error, CustomStringConvertible, Sendable {
    package var operation: String
    package var description: String {
        "the connection to PostgreSQL closed during \(operation) (the server restarted, crashed or dropped the link); nothing after the last committed transaction was kept: retry once it answers again"
    }
}

extension PostgresConnection {
    /// Runs `body` (which uses this connection) and returns its result, or throws
    /// `PostgresConnectionClosed` as soon as the connection closes, whichever comes first.
    ///
    /// Why: PostgresNIO 1.33 hands an operation to the channel with `channel.write(…, promise: nil)`.
    /// On a connection whose pipeline is already torn down (the server went away between two
    /// statements), that write never reaches its handler, so the operation's promise or
    /// continuation is never completed and its caller waits forever ("copyFrom leaked its
    /// continuation"; `withTransaction`'s ROLLBACK on a dead connection). The body runs in a task of
    /// its own so that the caller can walk away from such a wait; that task is cancelled, and a
    /// body stuck this way stays suspended (one per connection lost mid-operation).
    package func unlessClosed<T: Sendable>(_ operation: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let race = Race<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<T, any Error>) in
                race.waiter(waiter)
                let task = Task {
                    do { _ = race.finish(.success(try await body())) } catch { _ = race.finish(.failure(error)) }
                }
                race.started(task)
                closeFuture.whenComplete { _ in
                    if race.finish(.failure(PostgresConnectionClosed(operation: operation))) { task.cancel() }
                }
            }
        } onCancel: {
            race.cancel()
        }
    }

    /// BEGIN, `body`, COMMIT on this connection (ROLLBACK when `body` throws and the connection is
    /// still open), guarded by `unlessClosed`: unlike PostgresNIO's `withTransaction`, it returns
    /// when the server goes away mid-transaction.
    package func guardedTransaction<T: Sendable>(_ operation: String, logger: Logger,
                                                 _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await unlessClosed(operation) {
            try await self.query("BEGIN", logger: logger)
            let value: T
            do { value = try await body(self) } catch {
                if !self.isClosed { _ = try? await self.query("ROLLBACK", logger: logger) }
                throw error
            }
            try await self.query("COMMIT", logger: logger)
            return value
        }
    }
}

extension PostgresClient {
    /// A transaction on a pooled connection that returns (with `PostgresConnectionClosed`) when the
    /// server goes away under it, instead of waiting forever (see `PostgresConnection.unlessClosed`).
    package func guardedTransaction<T: Sendable>(_ operation: String, logger: Logger,
                                                 _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { c in try await c.guardedTransaction(operation, logger: logger, body) }
    }
}

/// The waiter of `unlessClosed`, resumed once by whichever finishes first.
private final class Race<T: Sendable>: Sendable {
    private let state = Mutex<(waiter: CheckedContinuation<T, any Error>?, task: Task<Void, Never>?, cancelled: Bool)>((nil, nil, false))

    func waiter(_ w: CheckedContinuation<T, any Error>) { state.withLock { $0.waiter = w } }

    func started(_ task: Task<Void, Never>) {
        if state.withLock({ s -> Bool in s.task = task; return s.cancelled }) { task.cancel() }
    }

    func cancel() { state.withLock { s -> Task<Void, Never>? in s.cancelled = true; return s.task }?.cancel() }

    /// Resumes the waiter with `result` unless it was resumed already; true when this call did.
    func finish(_ result: Result<T, any Error>) -> Bool {
        guard let w = state.withLock({ s -> CheckedContinuation<T, any Error>? in
            defer { s.waiter = nil }
            return s.waiter
        }) else { return false }
        w.resume(with: result)
        return true
    }
}
