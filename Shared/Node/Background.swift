/// Runs `body` while `background` (a database client's run loop, say) runs, and stops `background`
/// only after `body` has returned or thrown — also when the caller is cancelled. A cancelled
/// service first finishes its in-flight work (queries included) and only then loses the client it
/// needs for it: cancelling both at once left queries waiting for a connection from a pool that
/// had shut down (a server that never finished draining), or crashed PostgresNIO mid-query.
package func withBackground<T: Sendable>(_ background: @escaping @Sendable () async -> Void,
                                         _ body: () async throws -> T) async throws -> T {
    // Unstructured on purpose: it must not inherit the caller's cancellation. `Task.immediate` runs
    // `background()` on this thread up to its first suspension, so a PostgresClient's run() has
    // marked itself running before the body can lease: a client leased before its run() began
    // logged a warning at every start, and a signal sent just before run() left a race that did
    // so about once in forty starts (RegistryProcessTests, run repeatedly).
    let task = Task.immediate {
        await background()
    }
    let result: Result<T, any Error>
    do { result = .success(try await body()) } catch { result = .failure(error) }
    task.cancel()
    await task.value
    return try result.get()
}
