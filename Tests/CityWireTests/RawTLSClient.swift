import CityTestSupport
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
@testable import CityWire

/// A TLS (or plain TCP) client that sends arbitrary bytes and collects everything the server
/// sends until it closes: for misbehaviour tests.
struct RawTLSClient {
    /// The result of one raw exchange.
    struct Exchange {
        /// Frames parsed from the server's bytes, in order.
        var frames: [Frame] = []
        /// Whether the server closed the connection before the deadline.
        var closedByServer = false
        /// Error codes of the error frames received.
        var errorCodes: [WireErrorCode] {
            frames.filter { $0.type == .error }.compactMap { try? WireError(canonicalBytes: $0.payload).code }
        }
    }

    /// Connects (with TLS unless `tls` is nil), sends `chunks` (pausing `pauseMillis` between them),
    /// then reads until the server closes or `readSeconds` pass. With `tlsAfterMillis`, the TCP
    /// connection sits silent that long before the TLS handshake starts.
    static func exchange(port: Int, tls: TLSConfiguration?, chunks: [[UInt8]], pauseMillis: Int = 0,
                         tlsAfterMillis: Int = 0, readSeconds: Double = 5) async throws -> Exchange {
        let context = try tls.map { try NIOSSLContext(configuration: $0) }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context, tlsAfterMillis == 0 {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        if let context, tlsAfterMillis > 0 {
            try await Task.sleep(for: .milliseconds(tlsAfterMillis))   // the fault under test (a late handshake), not synchronisation
            let tlsHandler = try NIOSSLClientHandler(context: context, serverHostname: nil)
            try await channel.channel.pipeline.addHandler(tlsHandler, position: .first)
        }
        return try await channel.executeThenClose { inbound, outbound in
            for chunk in chunks {
                try await outbound.write(ByteBuffer(bytes: chunk))
                if pauseMillis > 0 { try await Task.sleep(for: .milliseconds(pauseMillis)) }   // the fault under test (a slow sender)
            }
            let sink = ByteSink()
            let closed = (try? await withTimeout(readSeconds) {
                do {
                    for try await buffer in inbound { sink.append(Array(buffer.readableBytesView)) }
                } catch {}
                return true
            }) ?? false
            return Exchange(frames: Self.parseFrames(sink.bytes), closedByServer: closed)
        }
    }

    /// Splits `bytes` into frames (stops at the first incomplete one).
    static func parseFrames(_ bytes: [UInt8]) -> [Frame] {
        var frames: [Frame] = []
        var offset = 0
        while bytes.count - offset >= 4 {
            let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            guard bytes.count - offset - 4 >= length else { break }
            if case .frame(let frame) = InboundFrame.parse(wireBytes: Array(bytes[offset..<offset + 4 + length])) {
                frames.append(frame)
            }
            offset += 4 + length
        }
        return frames
    }
}

/// Bytes collected by a reader task.
final class ByteSink: Sendable {
    private let storage = Mutex<[UInt8]>([])
    func append(_ bytes: [UInt8]) { storage.withLock { $0 += bytes } }
    var bytes: [UInt8] { storage.withLock { $0 } }
}
