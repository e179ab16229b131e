import CityPKI
import NIOCore
import NIOSSL
import NIOTLS  // transitively available through NIOSSL; see the report about Package.swift

/// Closes the connection if the TLS handshake has not finished within the timeout, and on
/// success reads the peer's identity (role and name) from its certificate, once per connection.
/// `identity` is always completed: with the peer, or with the reason the connection was refused.
package final class HandshakeHandler: ChannelInboundHandler {
    package typealias InboundIn = ByteBuffer
    package typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private let idleTimeout: Duration?
    private let promise: EventLoopPromise<PeerIdentity>
    private var timer: Scheduled<Void>?
    private var done = false

    /// The peer's identity once the handshake finished, or the failure.
    package var identity: EventLoopFuture<PeerIdentity> { promise.futureResult }

    /// A handler for a channel on `eventLoop`.
    /// With `idleTimeout`, the idle guard is installed right after this handler once the handshake
    /// finished: idle time counts from then (the handshake has its own bound), so a slow handshake on a
    /// loaded box does not eat the connection's idle allowance.
    package init(timeout: Duration, idleTimeout: Duration? = nil, eventLoop: any EventLoop) {
        self.timeout = TimeAmount(timeout)
        self.idleTimeout = idleTimeout
        promise = eventLoop.makePromise()
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startTimer(context: context) }
    }

    package func channelActive(context: ChannelHandlerContext) {
        startTimer(context: context)
        context.fireChannelActive()
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event, !done {
            timer?.cancel()
            do {
                guard let cert = try context.pipeline.syncOperations.nioSSL_peerCertificate() else {
                    throw WireError(.forbidden, "the peer sent no certificate; present one issued by the city CA")
                }
                let identity = try PeerIdentity(certificate: cert)
                try installIdleGuard(context: context)
                finish(.success(identity))
            } catch {
                finish(.failure(WireError(.forbidden, "the peer certificate names no valid role: \(error)")))
                context.close(promise: nil)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    package func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(WireError(.unavailable, "the connection closed before the TLS handshake finished")))
        context.fireChannelInactive()
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !done { finish(.failure(error)) }
        context.fireErrorCaught(error)
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        finish(.failure(WireError(.unavailable, "the connection was torn down before the TLS handshake finished")))
    }

    private func installIdleGuard(context: ChannelHandlerContext) throws {
        guard let idle = idleTimeout else { return }
        let ops = context.pipeline.syncOperations
        // Each goes straight after this handler: the second call puts NIO's timer in front of ours.
        try ops.addHandler(IdleTimeoutHandler(timeout: idle), position: .after(self))
        try ops.addHandler(IdleStateHandler(allTimeout: TimeAmount(idle)), position: .after(self))
    }

    private func startTimer(context: ChannelHandlerContext) {
        guard timer == nil, !done else { return }
        let seconds = timeout.nanoseconds / 1_000_000_000
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = loopBound.value
            handler.finish(.failure(WireError(.timeout, "the TLS handshake did not finish within \(seconds) s; closing")))
            context.close(promise: nil)
        }
    }

    private func finish(_ result: Result<PeerIdentity, any Error>) {
        guard !done else { return }
        done = true
        timer?.cancel()
        promise.completeWith(result)
    }
}
