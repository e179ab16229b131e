import Foundation

/// Free loopback TCP ports, for harnesses that start processes which must know each other's ports
/// before they run (the test kit's `freePorts`, `citychain-bench state-sync`).
package enum LoopbackPorts {
    /// `count` distinct loopback TCP ports free now: each is bound (all at once, so they differ),
    /// read and released. Another process could take one before the caller binds it; on a
    /// machine that runs only the harness, none does.
    package static func free(_ count: Int) -> [Int] {
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
}
