import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 GET over a loopback socket (ops endpoint tests): no keep-alive, bounded by
/// a receive timeout. Blocking: call it from a test task, not from an event loop.
public enum HTTPGet {
    public struct Response: Sendable, CustomStringConvertible {
        public let status: Int
        public let headers: String
        public let body: String
        public var description: String { "HTTP \(status)\n\(body)" }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// GET `path` from 127.0.0.1:`port` without blocking Swift's cooperative thread pool: the
    /// blocking socket calls run on a thread of their own. (On 2 cores the pool has 2 threads; a
    /// blocking read on one of them, with the server's own async work waiting behind it, stalled
    /// whole test runs for minutes.)
    public static func fetch(port: Int, path: String, timeoutSeconds: Int = 10) async throws -> Response {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Response, any Error>) in
            let thread = Thread { done.resume(with: Result { try get(port: port, path: path, timeoutSeconds: timeoutSeconds) }) }
            thread.start()
        }
    }

    /// GET `path` from 127.0.0.1:`port`, blocking the calling thread (use `fetch` from async code).
    public static func get(port: Int, path: String, timeoutSeconds: Int = 10) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed: \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { throw Failure(description: "cannot connect to 127.0.0.1:\(port) (errno \(errno))") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == request.count else { throw Failure(description: "send failed (errno \(errno))") }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        for _ in 0..<10_000 {   // bounded: 640 MB at most, far beyond any ops answer
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += buffer[0..<n]
            if let parsed = parse(data), parsed.complete { break }
        }
        guard let parsed = parse(data) else {
            throw Failure(description: "no HTTP response from 127.0.0.1:\(port)\(path) (\(data.count) bytes)")
        }
        return parsed.response
    }

    private static func parse(_ data: [UInt8]) -> (response: Response, complete: Bool)? {
        let text = String(decoding: data, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        let head = String(text[..<end.lowerBound])
        let body = String(text[end.upperBound...])
        let statusLine = head.split(separator: "\r\n", maxSplits: 1).first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        var complete = false
        for line in head.split(separator: "\r\n") {
            let lower = line.lowercased()
            if lower.hasPrefix("content-length:"), let n = Int(lower.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) {
                complete = body.utf8.count >= n
            }
        }
        return (Response(status: status, headers: head, body: body), complete)
    }
}
