import CityWire
import Foundation

/// `count` distinct loopback TCP ports free now (`LoopbackPorts.free`). The one port finder of the
/// test kit.
public func freePorts(_ count: Int) -> [Int] { LoopbackPorts.free(count) }

/// One free loopback TCP port (`freePorts(1)`).
public func freePort() -> Int { freePorts(1)[0] }

/// A test step that did not finish in time.
public struct TestTimeout: Error, CustomStringConvertible {
    public let seconds: Double
    public var description: String { "test step did not finish within \(seconds) s" }
}

/// Runs `body`, failing with `TestTimeout` after `seconds` instead of hanging the suite.
public func withTimeout<T: Sendable>(_ seconds: Double = 20, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))   // the deadline, not synchronisation
            throw TestTimeout(seconds: seconds)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
