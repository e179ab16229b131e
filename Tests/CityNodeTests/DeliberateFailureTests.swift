import Foundation
import Testing

/// A test that fails on purpose, for deploy/test-selftest: it shows that deploy/test exits non-zero
/// when a test fails, including one that would pass when run again. Off (skipped) unless
/// `CITYCHAIN_DELIBERATE_FAILURE` is `always` (fails every run) or `once` (fails the first run, then
/// passes: a flaky test; `CITYCHAIN_DELIBERATE_FAILURE_MARKER` names the file that remembers it).
@Suite struct DeliberateFailureTests {
    static let mode = ProcessInfo.processInfo.environment["CITYCHAIN_DELIBERATE_FAILURE"] ?? ""

    @Test(.enabled(if: !mode.isEmpty, "set CITYCHAIN_DELIBERATE_FAILURE=always|once (deploy/test-selftest)"))
    func failsOnPurpose() throws {
        switch Self.mode {
        case "always":
            Issue.record("deliberate failure (CITYCHAIN_DELIBERATE_FAILURE=always)")
        case "once":
            let marker = try #require(ProcessInfo.processInfo.environment["CITYCHAIN_DELIBERATE_FAILURE_MARKER"],
                                      "CITYCHAIN_DELIBERATE_FAILURE=once needs CITYCHAIN_DELIBERATE_FAILURE_MARKER (a file path)")
            if !FileManager.default.fileExists(atPath: marker) {
                FileManager.default.createFile(atPath: marker, contents: Data("failed once\n".utf8))
                Issue.record("deliberate failure, first run only (CITYCHAIN_DELIBERATE_FAILURE=once)")
            }
        default:
            Issue.record("CITYCHAIN_DELIBERATE_FAILURE is \(Self.mode); use always or once")
        }
    }
}
