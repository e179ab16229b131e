import CityEncoding
import NIOCore

/// Sends the items of one server-pushed stream. `send` suspends while the connection's outbound
/// buffer is over its high watermark, so a slow client slows the producer instead of growing memory.
@MemberwiseInit
package struct StreamWriter: Sendable {
    private let requestID: UInt32
    private let kind: MessageKind
    private let outbound: NIOAsyncChannelOutboundWriter<Frame>
    private let maxPayloadBytes: Int

    /// Sends one item; throws `CancellationError` once the client cancelled or disconnected.
    package func send(_ payload: [UInt8]) async throws {
        try Task.checkCancellation()
        guard payload.count <= maxPayloadBytes else {
            throw WireError(.internal, "stream item of \(payload.count) bytes exceeds the frame limit of \(maxPayloadBytes)")
        }
        try await outbound.write(Frame(.streamItem, kind: kind, requestID: requestID, payload: payload))
    }

    /// Sends items in order with one flush (a feed's page); throws like `send`.
    package func send(contentsOf payloads: [[UInt8]]) async throws {
        try Task.checkCancellation()
        if let big = payloads.first(where: { $0.count > maxPayloadBytes }) {
            throw WireError(.internal, "stream item of \(big.count) bytes exceeds the frame limit of \(maxPayloadBytes)")
        }
        try await outbound.write(contentsOf: payloads.map { Frame(.streamItem, kind: kind, requestID: requestID, payload: $0) })
    }
}
