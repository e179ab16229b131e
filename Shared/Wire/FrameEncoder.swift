import NIOCore

/// Writes outbound `Frame`s as bytes (length field, header, payload).
package struct FrameEncoder: MessageToByteEncoder {
    package typealias OutboundIn = Frame

    /// An encoder.
    package init() {}

    package func encode(data: Frame, out: inout ByteBuffer) throws {
        data.write(to: &out)
    }
}
