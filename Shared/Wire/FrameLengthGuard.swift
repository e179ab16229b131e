import NIOCore
import NIOExtras

/// Splits the byte stream into frame bodies with NIOExtras' `LengthFieldBasedFrameDecoder`, but
/// first checks each length field against `maxFrameBytes` (NIOExtras has no cap of its own): an
/// oversized or too-short length throws a `WireError` as soon as its 4 bytes arrive, before any
/// of the body is buffered. Emits the body after the length field (header + payload).
/// With a `readTimeout`, a frame must arrive whole within that time of its first byte: a client
/// trickling bytes gets a `timeout` error and the connection closes (issue 17 item 2).
package final class FrameLengthGuard: ByteToMessageDecoder {
    package typealias InboundIn = ByteBuffer
    package typealias InboundOut = ByteBuffer

    private let inner = LengthFieldBasedFrameDecoder(lengthFieldBitLength: .thirtyTwoBits, lengthFieldEndianness: .big)
    private let maxFrameBytes: Int
    /// True once a length field has been checked and handed to `inner`, until its body is out.
    private var awaitingBody = false
    private let readTimeout: TimeAmount?
    /// The server's bytes of unfinished frames across connections, and this connection's share.
    private let budget: FrameBudget?
    private var charged = 0
    /// Fires when the frame begun in the buffer has not completed within `readTimeout`.
    private var deadline: Scheduled<Void>?

    /// A guard for frames of at most `maxFrameBytes` after the length field, each to arrive within
    /// `readTimeout` of its first byte (nil: no bound).
    /// `readTimeout` (nil: no bound), charging what it buffers of unfinished frames to `budget`.
    package init(maxFrameBytes: Int, readTimeout: Duration? = nil, budget: FrameBudget? = nil) {
        precondition(maxFrameBytes >= Frame.headerBytes, "maxFrameBytes must hold at least a header")
        self.maxFrameBytes = maxFrameBytes
        self.readTimeout = readTimeout.map { TimeAmount($0) }
        self.budget = budget
    }

    /// The error for a length field value, or nil when it is acceptable.
    package static func check(length: UInt32, maxFrameBytes: Int) -> WireError? {
        if Int(length) > maxFrameBytes { return .frameTooLarge(length: length, max: maxFrameBytes) }
        if Int(length) < Frame.headerBytes { return .frameTooShort(length: length) }
        return nil
    }

    package func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let state = try decodeFrame(context: context, buffer: &buffer)
        switch state {
        case .continue:
            deadline?.cancel()
            deadline = nil
            budget?.release(charged)
            charged = 0
        case .needMoreData:
            if buffer.readableBytes > 0 { startDeadline(context: context) }
            try charge(upTo: buffer.readableBytes)
        }
        return state
    }

    /// Charges the budget for the `held` bytes of the unfinished frame, or refuses the connection.
    private func charge(upTo held: Int) throws {
        guard let budget, held > charged else { return }
        guard budget.charge(held - charged) else {
            throw UnfinishedFrameRefusal(
                wire: WireError(.unavailable, "the server holds its most bytes of unfinished frames across connections (\(budget.limit) bytes); closing this connection: send each frame at once, and retry"),
                reason: "buffers")
        }
        charged = held
    }

    private func decodeFrame(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if !awaitingBody {
            guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
            if let error = Self.check(length: length, maxFrameBytes: maxFrameBytes) { throw error }
            awaitingBody = true
        }
        let state = try inner.decode(context: context, buffer: &buffer)
        if case .continue = state { awaitingBody = false }
        return state
    }

    /// Starts the clock of the frame now begun, unless it runs already.
    private func startDeadline(context: ChannelHandlerContext) {
        guard let readTimeout, deadline == nil else { return }
        let seconds = Double(readTimeout.nanoseconds) / 1e9
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: readTimeout) {
            // The connection's owner answers the error and closes (as for any decoder error).
            bound.value.fireErrorCaught(UnfinishedFrameRefusal(
                wire: WireError(.timeout, "a frame did not arrive whole within \(seconds) s of its first byte; closing the connection (send each frame at once)"),
                reason: "frame"))
        }
    }

    package func decoderRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        budget?.release(charged)
        charged = 0
    }

    package func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while case .continue = try decode(context: context, buffer: &buffer) {}
        if buffer.readableBytes > 0 || awaitingBody {
            throw WireError(.badFrame, "the connection ended in the middle of a frame (truncated); resend the whole frame")
        }
        return .needMoreData
    }
}
