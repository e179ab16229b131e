/// Runs `body` while `background` (a database client's run loop, say) runs, and stops `background`
/// only after `body` has returned or thrown — also when the caller is cancelled. A cancelled
/// service first finishes its in-flight work (queries included) and only then loses the client it
/// needs for it: cancelling both at once left queries waiting for a connection from a pool that
/// had shut down (a server that never finished draining), or crashed PostgresNIO mid-query.
package func withBackground<T: Sendable>(_ background: @escaping @Sendable () async -> Void,
                                         _ body: () async throws -> T) async throws -> T {
    // Unstructured on purpose: it must not inherit the caller's cancellation. The body starts once
    // the background task is running (it goes straight from the signal into `background()`): a
    // PostgresClient leased before its run() began logged a warning at every start.
    let (started, signal) = AsyncStream.makeStream(of: Void.self)
    let task = Task {
        signal.yield()
        signal.finish()
        await background()
    }
    for await _ in started { break }
    let result: Result<T, any Error>
    do { result = .success(try await body()) } catch { result = .failure(error) }
    task.cancel()
    await task.value
    return try result.get()
}
