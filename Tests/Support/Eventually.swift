/// Waits until `condition` holds, checking every 20 ms, failing (naming `what`) after `seconds`:
/// the one way tests wait for an event of another task or process (no bare sleeps).
public func eventually(_ what: String, seconds: Double = 20, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    // The condition is checked once more after the deadline: a test process starved of threads
    // (a busy box) wakes late, and must not fail on a condition that came true meanwhile.
    while true {
        if try await condition() { return }
        guard ContinuousClock.now < deadline else { break }
        try await Task.sleep(for: .milliseconds(20))   // the poll interval between checks of the condition, not synchronisation
    }
    throw TestFailure("timed out waiting for \(what) (\(seconds) s)")
}
