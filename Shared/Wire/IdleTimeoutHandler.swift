import NIOCore

/// Turns NIO's `IdleStateEvent.all` (no frame in or out for the idle timeout) into a
/// `WireError(.timeout)` on the error path, so the connection logic answers and closes.
package final class IdleTimeoutHandler: ChannelInboundHandler {
    package typealias InboundIn = ByteBuffer
    package typealias InboundOut = ByteBuffer

    private let seconds: Int64

    /// A handler for an idle timeout of `timeout`.
    package init(timeout: Duration) {
        seconds = timeout.components.seconds
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case IdleStateHandler.IdleStateEvent.all = event {
            context.fireErrorCaught(WireError(.timeout, "no frame for \(seconds) s; closing the idle connection; send pings to keep one open"))
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
