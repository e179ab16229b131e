/// Limits and timeouts of a wire endpoint (server or client). Every bound is named with its unit.
package struct WireConfiguration: Sendable {
    /// Largest length field accepted (header + payload), checked before the body is buffered.
    package var maxFrameBytes = Frame.defaultMaxFrameBytes
    /// Requests one connection may have in flight (server) or waiting (client).
    package var maxInFlightPerConnection = 64
    /// Close a connection after this long without any frame in or out; nil disables it.
    package var idleTimeout: Duration? = .seconds(120)
    /// A frame must arrive whole within this time of its first byte, or the connection is closed
    /// with a `timeout` error (a slow client cannot hold a connection and its buffer by trickling
    /// bytes); nil disables it.
    package var frameReadTimeout: Duration? = .seconds(30)
    /// Server: connections open at once from one peer certificate (role and name); the next is
    /// answered `unavailable` and closed.
    package var maxConnectionsPerPeer = 256
    /// Server: connections open at once in total.
    package var maxConnections = 4096
    /// Server: places of `maxConnections` that agency certificates cannot take from the services'
    /// (validators, indexers, gateways, registries, admins), and the services cannot take from the
    /// agencies' (at most half of `maxConnections`).
    package var connectionsReservedPerClass = 256
    /// Server: bytes of unfinished frames held across all connections; a connection whose bytes
    /// would pass it is answered `unavailable` and closed.
    package var maxUnfinishedFrameBytes = 256 * 1024 * 1024
    /// Close a connection whose TLS handshake has not finished in this time.
    package var handshakeTimeout: Duration = .seconds(10)
    /// On shutdown, how long in-flight requests may run before their connection is closed.
    package var shutdownGracePeriod: Duration = .seconds(10)
    /// Outbound bytes buffered per connection above which writers suspend (NIO high watermark).
    package var writeBufferHighWaterBytes = 1024 * 1024
    /// Outbound bytes buffered per connection below which writers resume (NIO low watermark).
    package var writeBufferLowWaterBytes = 256 * 1024
    /// Client: stream items buffered for a slow consumer before the stream fails with `unavailable`.
    package var maxBufferedStreamItems = 1024

    /// The defaults (docs/protocol/wire.md, "Limits").
    package init() {}

    /// Largest payload that fits in one frame.
    package var maxPayloadBytes: Int { maxFrameBytes - Frame.headerBytes }
}
