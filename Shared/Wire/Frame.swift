import NIOCore

/// One frame of the CityChain wire protocol (docs/protocol/wire.md, "Frame format"):
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +---------------------------------------------------------------+
/// |                 length L (u32 BE, bytes after it)             |
/// +---------------+---------------+-------------------------------+
/// |  version = 1  |  frame type   |      message kind (u16 BE)    |
/// +---------------+---------------+-------------------------------+
/// |                     request id (u32 BE)                       |
/// +---------------------------------------------------------------+
/// |                 payload (L - 8 bytes) ...                     |
/// +---------------------------------------------------------------+
/// ```
package struct Frame: Hashable, Sendable, CustomStringConvertible {
    /// The only protocol version.
    package static let version: UInt8 = 1
    /// Bytes of the length field.
    package static let lengthFieldBytes = 4
    /// Bytes of the fixed header after the length field.
    package static let headerBytes = 8
    /// Default cap on the length field L (header plus payload), 4 MiB.
    package static let defaultMaxFrameBytes = 4 * 1024 * 1024

    /// What the frame is for.
    package var type: FrameType
    /// The operation the frame belongs to.
    package var kind: MessageKind
    /// Pairs requests with their answers; 0 is used for connection-level errors.
    package var requestID: UInt32
    /// The kind-specific canonical bytes.
    package var payload: [UInt8]

    /// A frame of `type`.
    package init(_ type: FrameType, kind: MessageKind, requestID: UInt32, payload: [UInt8] = []) {
        self.type = type
        self.kind = kind
        self.requestID = requestID
        self.payload = payload
    }

    /// An error frame carrying `error` for `requestID`.
    package static func error(_ error: WireError, kind: MessageKind = .connection, requestID: UInt32 = 0) -> Frame {
        Frame(.error, kind: kind, requestID: requestID, payload: error.canonicalBytes)
    }

    /// The value of the length field for this frame.
    package var length: Int { Self.headerBytes + payload.count }

    /// Appends the whole frame, length field included.
    package func write(to buffer: inout ByteBuffer) {
        precondition(length <= Int(UInt32.max), "frame too long for its length field")
        buffer.reserveCapacity(minimumWritableBytes: Self.lengthFieldBytes + length)
        buffer.writeInteger(UInt32(length))
        buffer.writeInteger(Self.version)
        buffer.writeInteger(type.rawValue)
        buffer.writeInteger(kind.rawValue)
        buffer.writeInteger(requestID)
        buffer.writeBytes(payload)
    }

    /// The whole frame as bytes, length field included.
    package var wireBytes: [UInt8] {
        var buffer = ByteBuffer()
        write(to: &buffer)
        return Array(buffer.readableBytesView)
    }

    package var description: String {
        "\(type) kind=\(kind) id=\(requestID) payload=\(payload.count)B"
    }
}
