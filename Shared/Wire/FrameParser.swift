import NIOCore

/// Turns each frame body from `FrameLengthGuard` into an `InboundFrame` (no decisions here: the
/// connection state machine decides what a rejection means).
package final class FrameParser: ChannelInboundHandler {
    package typealias InboundIn = ByteBuffer
    package typealias InboundOut = InboundFrame

    /// A parser.
    package init() {}

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(wrapInboundOut(InboundFrame.parse(body: unwrapInboundIn(data))))
    }
}
