/// The second header byte of a frame: what the frame is for (docs/protocol/wire.md, "Frame types").
package enum FrameType: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Client → server: call a message kind; answered by a response, an error, or a stream.
    case request = 1
    /// Server → client: the single answer to a unary request.
    case response = 2
    /// Either way: a typed `WireError` for a request id (or id 0: the connection).
    case error = 3
    /// Server → client: one item of a stream opened by a request.
    case streamItem = 4
    /// Server → client: the stream for this request id finished normally.
    case streamEnd = 5
    /// Client → server: stop working on this request id.
    case cancel = 6
    /// Either way: liveness probe; answered by a pong with the same id and payload.
    case ping = 7
    /// Either way: the answer to a ping.
    case pong = 8

    package var description: String {
        switch self {
        case .request: "request"
        case .response: "response"
        case .error: "error"
        case .streamItem: "stream item"
        case .streamEnd: "stream end"
        case .cancel: "cancel"
        case .ping: "ping"
        case .pong: "pong"
        }
    }
}
