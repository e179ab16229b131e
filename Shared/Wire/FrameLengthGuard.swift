import NIOCore
import NIOExtras

/// Splits the byte stream into frame bodies with NIOExtras' `LengthFieldBasedFrameDecoder`, but
/// first checks each length field against `maxFrameBytes` (NIOExtras has no cap of its own): an
/// oversized or too-short length throws a `WireError` as soon as its 4 bytes arrive, before any
/// of the body is buffered. Emits the body after the length field (header + payload).
package final class FrameLengthGuard: ByteToMessageDecoder {
    package typealias InboundIn = ByteBuffer
    package typealias InboundOut = ByteBuffer

    private let inner = LengthFieldBasedFrameDecoder(lengthFieldBitLength: .thirtyTwoBits, lengthFieldEndianness: .big)
    private let maxFrameBytes: Int
    /// True once a length field has been checked and handed to `inner`, until its body is out.
    private var awaitingBody = false

    /// A guard for frames of at most `maxFrameBytes` after the length field.
    package init(maxFrameBytes: Int) {
        precondition(maxFrameBytes >= Frame.headerBytes, "maxFrameBytes must hold at least a header")
        self.maxFrameBytes = maxFrameBytes
    }

    /// The error for a length field value, or nil when it is acceptable.
    package static func check(length: UInt32, maxFrameBytes: Int) -> WireError? {
        if Int(length) > maxFrameBytes { return .frameTooLarge(length: length, max: maxFrameBytes) }
        if Int(length) < Frame.headerBytes { return .frameTooShort(length: length) }
        return nil
    }

    package func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if !awaitingBody {
            guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
            if let error = Self.check(length: length, maxFrameBytes: maxFrameBytes) { throw error }
            awaitingBody = true
        }
        let state = try inner.decode(context: context, buffer: &buffer)
        if case .continue = state { awaitingBody = false }
        return state
    }

    package func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while case .continue = try decode(context: context, buffer: &buffer) {}
        if buffer.readableBytes > 0 || awaitingBody {
            throw WireError(.badFrame, "the connection ended in the middle of a frame (truncated); resend the whole frame")
        }
        return .needMoreData
    }
}
