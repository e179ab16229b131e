import CityPKI
import NIOCore
import NIOSSL

/// Builds the channel pipeline shared by server and client connections:
/// TLS → handshake guard → (idle guard, once TLS finished) → length-field framing with cap → frame parser → frame encoder,
/// wrapped in an `NIOAsyncChannel` of `InboundFrame` in, `Frame` out.
package enum WirePipeline {
    /// A connection channel ready for async use, with the peer's identity once TLS has finished.
    package struct Connection: Sendable {
        /// The framed async channel.
        package let channel: NIOAsyncChannel<InboundFrame, Frame>
        /// Completed after the handshake with the peer's role and name, or failed.
        package let identity: EventLoopFuture<PeerIdentity>
    }

    /// Installs the handlers on `channel` (call on its event loop, from a channel initializer).
    /// `accepted`: a server's connection. The server may stop (cancelled) with accepted connections
    /// still queued for it, which NIO then drops unused; those must close on deinit, or NIO traps
    /// ("Deinited NIOAsyncWriter without calling finish()") and takes the whole process with it.
    /// `budget`: a server's bytes of unfinished frames across its connections (nil for clients).
    package static func install(on channel: any Channel, tls: NIOSSLHandler,
                                configuration: WireConfiguration, accepted: Bool = false,
                                budget: FrameBudget? = nil) throws -> Connection {
        // The handshake guard adds the idle guard behind itself once TLS finished.
        let handshake = HandshakeHandler(timeout: configuration.handshakeTimeout,
                                         idleTimeout: configuration.idleTimeout, eventLoop: channel.eventLoop)
        let ops = channel.pipeline.syncOperations
        try ops.addHandler(tls)
        try ops.addHandler(handshake)
        // The guard refuses oversized lengths before buffering; the buffer cap is a second line.
        let guardHandler = ByteToMessageHandler(FrameLengthGuard(maxFrameBytes: configuration.maxFrameBytes,
                                                                 readTimeout: configuration.frameReadTimeout, budget: budget),
                                                maximumBufferSize: configuration.maxFrameBytes + Frame.lengthFieldBytes)
        try ops.addHandler(guardHandler)
        try ops.addHandler(FrameParser())
        try ops.addHandler(MessageToByteHandler(FrameEncoder()))
        let asyncChannel = try accepted ? closingOnDeinit(channel) : NIOAsyncChannel<InboundFrame, Frame>(wrappingChannelSynchronously: channel)
        return Connection(channel: asyncChannel, identity: handshake.identity)
    }

    /// The write-buffer watermarks that bound per-connection outbound buffering.
    package static func waterMark(_ configuration: WireConfiguration) -> ChannelOptions.Types.WriteBufferWaterMark {
        ChannelOptions.Types.WriteBufferWaterMark(low: configuration.writeBufferLowWaterBytes,
                                                  high: configuration.writeBufferHighWaterBytes)
    }

    /// The one place that asks NIO for deinit-based teardown (deprecated there in favour of
    /// `executeThenClose`, which every connection that reaches a handler still uses).
    private static func closingOnDeinit(_ channel: any Channel) throws -> NIOAsyncChannel<InboundFrame, Frame> {
        try NIOAsyncChannel<InboundFrame, Frame>(synchronouslyWrapping: channel)
    }
}
