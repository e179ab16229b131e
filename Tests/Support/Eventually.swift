/// Waits until `condition` holds, checking every 20 ms, failing (naming `what`) after `seconds`:
/// the one way tests wait for an event of another task or process (no bare sleeps).
public func eventually(_ what: String, seconds: Double = 20, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))   // the poll interval between checks of the condition, not synchronisation
    }
    throw TestFailure("timed out waiting for \(what) (\(seconds) s)")
}
