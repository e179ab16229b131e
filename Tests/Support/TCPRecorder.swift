import Foundation
import Synchronization

/// A loopback TCP relay that records every byte it forwards (a packet capture of one link, without
/// a capture tool): the tests point a service at `port` and look at what crossed the wire.
/// With `target` nil it is a server of its own that answers each connection's first read with
/// `answer` and then holds the connection open (e.g. PostgreSQL's one-byte "N": no TLS here).
public final class TCPRecorder: Sendable {
    /// The loopback port clients connect to.
    public let port: Int
    private let listener: Int32
    private let state = Mutex(State())

    private struct State {
        var toServer: [UInt8] = []
        var toClient: [UInt8] = []
        /// Open sockets (removed under the lock before they are closed, so `stop` never shuts
        /// down a descriptor number another socket has since been given).
        var sockets: Set<Int32> = []
        var connections = 0
        var stopped = false
    }

    /// A relay to 127.0.0.1:`target`.
    public convenience init(forwardingTo target: Int) throws { try self.init(target: target, answer: []) }

    /// A server that answers each connection's first read with `answer`.
    public convenience init(answering answer: [UInt8]) throws { try self.init(target: nil, answer: answer) }

    private init(target: Int?, answer: [UInt8]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw TestFailure("bind/listen: errno \(errno)") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        listener = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        let thread = Thread { [self] in acceptLoop(target: target, answer: answer) }
        thread.start()
    }

    /// Bytes the clients sent (to the server).
    public var clientBytes: [UInt8] { state.withLock { $0.toServer } }
    /// Bytes the server sent back.
    public var serverBytes: [UInt8] { state.withLock { $0.toClient } }
    /// Connections accepted so far.
    public var connections: Int { state.withLock { $0.connections } }

    /// Stops accepting and ends every connection.
    public func stop() {
        state.withLock { s in
            guard !s.stopped else { return }
            s.stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
            for fd in s.sockets { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    deinit { stop(); close(listener) }

    /// Closes `fd` and forgets it, under the lock `stop` takes.
    private func release(_ fd: Int32) {
        state.withLock { s in
            s.sockets.remove(fd)
            close(fd)
        }
    }

    private func acceptLoop(target: Int?, answer: [UInt8]) {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            guard state.withLock({ s in s.connections += 1; s.sockets.insert(client); return !s.stopped }) else { release(client); return }
            if let target {
                guard let server = Self.connect(port: target) else { release(client); continue }
                state.withLock { _ = $0.sockets.insert(server) }
                let pumps = PumpCount()
                let done: @Sendable () -> Void = { [self] in
                    if pumps.finished() { release(client); release(server) }
                }
                Thread { [self] in pump(from: client, to: server, toServer: true); done() }.start()
                Thread { [self] in pump(from: server, to: client, toServer: false); done() }.start()
            } else {
                Thread { [self] in
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    var first = true
                    while true {
                        let n = read(client, &buffer, buffer.count)
                        guard n > 0 else { break }
                        state.withLock { $0.toServer += buffer[..<n] }
                        if first { first = false; _ = answer.withUnsafeBytes { write(client, $0.baseAddress, $0.count) } }
                    }
                    release(client)
                }.start()
            }
        }
    }

    private func pump(from: Int32, to: Int32, toServer: Bool) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = read(from, &buffer, buffer.count)
            guard n > 0 else { break }
            state.withLock { s in if toServer { s.toServer += buffer[..<n] } else { s.toClient += buffer[..<n] } }
            var sent = 0
            while sent < n {
                let w = buffer.withUnsafeBytes { write(to, $0.baseAddress! + sent, n - sent) }
                guard w > 0 else { shutdown(from, Int32(SHUT_RDWR)); return }
                sent += w
            }
        }
        shutdown(to, Int32(SHUT_WR))
    }

    private static func connect(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { close(fd); return nil }
        return fd
    }
}

/// The two pumps of one relayed connection: the second to finish closes both sockets.
private final class PumpCount: Sendable {
    private let running = Mutex(2)
    func finished() -> Bool { running.withLock { $0 -= 1; return $0 == 0 } }
}

extension Array where Element == UInt8 {
    /// Whether `text`'s UTF-8 bytes occur anywhere in these bytes.
    public func contains(text: String) -> Bool {
        let needle = Array(text.utf8)
        guard !needle.isEmpty, needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { i in self[i..<(i + needle.count)].elementsEqual(needle) }
    }
}
