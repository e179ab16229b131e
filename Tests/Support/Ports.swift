import Foundation

/// `count` distinct loopback TCP ports free now: each is bound (all at once, so they differ),
/// read and released. Another process could take one before the test binds it; loopback tests on
/// this machine do not. The one port finder of the test kit.
public func freePorts(_ count: Int) -> [Int] {
    var fds: [Int32] = []
    defer { for fd in fds { close(fd) } }
    return (0..<count).map { _ in
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0, "socket() failed: errno \(errno)")
        fds.append(fd)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        precondition(bound, "binding a loopback port failed: errno \(errno)")
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

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
