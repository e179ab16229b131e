import NIOCore

/// What the frame parser hands the connection logic for one length-delimited body: a frame, or a
/// typed rejection that keeps the header's request id and kind so the error can be addressed.
package enum InboundFrame: Hashable, Sendable {
    /// A well-formed frame.
    case frame(Frame)
    /// A body that is not a valid frame; `fatal` means the connection must close after the error.
    case invalid(WireError, requestID: UInt32, kind: MessageKind, fatal: Bool)

    /// Parses the bytes after the length field (at least `Frame.headerBytes`, already checked).
    package static func parse(body: ByteBuffer) -> InboundFrame {
        var body = body
        guard let version = body.readInteger(as: UInt8.self),
              let rawType = body.readInteger(as: UInt8.self),
              let rawKind = body.readInteger(as: UInt16.self),
              let requestID = body.readInteger(as: UInt32.self) else {
            let error = WireError(.badFrame, "frame body of \(body.readableBytes) bytes is shorter than the 8-byte header")
            return .invalid(error, requestID: 0, kind: .connection, fatal: true)
        }
        guard version == Frame.version else {
            // A future version may lay out its header differently, so nothing after the byte is trusted.
            return .invalid(.unsupportedVersion(version), requestID: 0, kind: .connection, fatal: true)
        }
        let kind = MessageKind(rawValue: rawKind)
        guard let type = FrameType(rawValue: rawType) else {
            let error = WireError(.badFrame, "unknown frame type \(rawType); valid types are 1 to 8 (docs/protocol/wire.md)")
            return .invalid(error, requestID: requestID, kind: kind, fatal: false)
        }
        let payload = body.readBytes(length: body.readableBytes) ?? []
        return .frame(Frame(type, kind: kind, requestID: requestID, payload: payload))
    }

    /// Parses one complete frame, length field included (for tests, vectors and fuzzing).
    package static func parse(wireBytes: [UInt8], maxFrameBytes: Int = Frame.defaultMaxFrameBytes) -> InboundFrame {
        var buffer = ByteBuffer(bytes: wireBytes)
        guard let length = buffer.readInteger(as: UInt32.self) else {
            return .invalid(WireError(.badFrame, "truncated length field"), requestID: 0, kind: .connection, fatal: true)
        }
        if let error = FrameLengthGuard.check(length: length, maxFrameBytes: maxFrameBytes) {
            return .invalid(error, requestID: 0, kind: .connection, fatal: true)
        }
        guard buffer.readableBytes == Int(length) else {
            let error = WireError(.badFrame, "length field says \(length) bytes but \(buffer.readableBytes) follow")
            return .invalid(error, requestID: 0, kind: .connection, fatal: true)
        }
        return parse(body: buffer)
    }
}
