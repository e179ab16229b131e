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
    package static func install(on channel: any Channel, tls: NIOSSLHandler,
                                configuration: WireConfiguration) throws -> Connection {
        // The handshake guard adds the idle guard behind itself once TLS finished.
        let handshake = HandshakeHandler(timeout: configuration.handshakeTimeout,
                                         idleTimeout: configuration.idleTimeout, eventLoop: channel.eventLoop)
        let ops = channel.pipeline.syncOperations
        try ops.addHandler(tls)
        try ops.addHandler(handshake)
        // The guard refuses oversized lengths before buffering; the buffer cap is a second line.
        let guardHandler = ByteToMessageHandler(FrameLengthGuard(maxFrameBytes: configuration.maxFrameBytes),
                                                maximumBufferSize: configuration.maxFrameBytes + Frame.lengthFieldBytes)
        try ops.addHandler(guardHandler)
        try ops.addHandler(FrameParser())
        try ops.addHandler(MessageToByteHandler(FrameEncoder()))
        let asyncChannel = try NIOAsyncChannel<InboundFrame, Frame>(wrappingChannelSynchronously: channel)
        return Connection(channel: asyncChannel, identity: handshake.identity)
    }

    /// The write-buffer watermarks that bound per-connection outbound buffering.
    package static func waterMark(_ configuration: WireConfiguration) -> ChannelOptions.Types.WriteBufferWaterMark {
        ChannelOptions.Types.WriteBufferWaterMark(low: configuration.writeBufferLowWaterBytes,
                                                  high: configuration.writeBufferHighWaterBytes)
    }
}
