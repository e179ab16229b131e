import CityEncoding

/// What went wrong, as a `u16` on the wire (docs/protocol/wire.md, "Error codes").
///
/// Codes are stable: new ones are appended, never renumbered. `rateLimited` carries a `u32`
/// retry delay after the code.
package enum WireErrorCode: ErrorCode, CustomStringConvertible {
    /// The frame could not be understood (bad length, unexpected frame type). Fix the sender.
    case badFrame
    /// The frame's version byte is not one this peer speaks (only 1 exists). Connection closed.
    case unsupportedVersion
    /// No handler is registered for the message kind on this server.
    case unknownKind
    /// The peer's certificate role may not call this message kind.
    case forbidden
    /// The connection already has the maximum number of requests in flight; wait for answers.
    case tooManyInFlight
    /// The length field is over the receiver's `maxFrameBytes`. Connection closed.
    case frameTooLarge
    /// The payload was malformed or its content invalid for the kind.
    case invalidRequest
    /// The thing asked for does not exist.
    case notFound
    /// Too many requests; retry after the given number of milliseconds.
    case rateLimited(retryAfterMillis: UInt32)
    /// The server cannot serve now (shutting down, not ready, overloaded); retry elsewhere or later.
    case unavailable
    /// A deadline passed (request, idle connection, handshake).
    case timeout
    /// The request was cancelled before it finished.
    case cancelled
    /// The server failed; details are in its log, never on the wire.
    case `internal`
    /// The request conflicts with current state (e.g. a duplicate id in flight).
    case conflict

    /// The `u16` code on the wire.
    package var rawValue: UInt16 {
        switch self {
        case .badFrame: 1
        case .unsupportedVersion: 2
        case .unknownKind: 3
        case .forbidden: 4
        case .tooManyInFlight: 5
        case .frameTooLarge: 6
        case .invalidRequest: 7
        case .notFound: 8
        case .rateLimited: 9
        case .unavailable: 10
        case .timeout: 11
        case .cancelled: 12
        case .internal: 13
        case .conflict: 14
        }
    }

    package var description: String {
        switch self {
        case .badFrame: "badFrame"
        case .unsupportedVersion: "unsupportedVersion"
        case .unknownKind: "unknownKind"
        case .forbidden: "forbidden"
        case .tooManyInFlight: "tooManyInFlight"
        case .frameTooLarge: "frameTooLarge"
        case .invalidRequest: "invalidRequest"
        case .notFound: "notFound"
        case .rateLimited(let ms): "rateLimited(retryAfterMillis: \(ms))"
        case .unavailable: "unavailable"
        case .timeout: "timeout"
        case .cancelled: "cancelled"
        case .internal: "internal"
        case .conflict: "conflict"
        }
    }
}
