import CoreMetrics
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// A CityChain wire server: mutual TLS 1.3, framed requests routed by message kind, one child task
/// per connection. Run it in a `ServiceGroup`; on graceful shutdown it stops accepting, lets
/// in-flight requests finish for `shutdownGracePeriod`, then closes.
package final class WireServer: Service {
    private let host: String
    private let port: Int
    private let tls: TLSConfiguration
    private let router: WireRouter
    private let configuration: WireConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let bound = AddressLatch()
    /// The TLS context new connections use; `replaceTLS` swaps it (certificate reload on SIGHUP)
    /// while connections already open keep theirs.
    private let context = Mutex<NIOSSLContext?>(nil)
    private let phase = Mutex<String?>("not started")
    private let limits: ConnectionLimits
    private let budget: FrameBudget
    /// Certificates revoked on chain: refused at the handshake, their open connections ended
    /// (the service feeds it from the blocks it follows).
    package let revocations: CertificateRevocations

    /// A server for `router` on `host:port` (port 0 picks a free port; see `listeningAddress`).
    /// `tls` should come from `TLSSetup.server`, which requires client certificates.
    package init(host: String, port: Int, tls: TLSConfiguration, router: WireRouter,
                 configuration: WireConfiguration = WireConfiguration(), revocations: CertificateRevocations = CertificateRevocations(),
                 eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger) {
        self.revocations = revocations
        self.host = host
        self.port = port
        self.tls = tls
        self.router = router
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.limits = ConnectionLimits(configuration)
        self.budget = FrameBudget(limit: configuration.maxUnfinishedFrameBytes)
    }

    /// The address the server listens on, once bound (throws if binding failed).
    package var listeningAddress: SocketAddress {
        get async throws { try await bound.value() }
    }

    /// nil while the server accepts connections; otherwise why not (not started, bind failed, stopped).
    package var servingProblem: String? { phase.withLock { $0 } }

    /// Uses `configuration` for connections accepted from now on (open ones keep their context).
    /// Throws, keeping the current context, when NIOSSL rejects the configuration.
    package func replaceTLS(_ configuration: TLSConfiguration) throws {
        let fresh = try NIOSSLContext(configuration: configuration)
        context.withLock { $0 = fresh }
    }

    /// The server will not run: `failure` (what stopped its process before it could bind) is what
    /// everyone waiting on `listeningAddress` gets, instead of waiting for ever. No effect once bound.
    package func abandon(_ failure: any Error) {
        bound.resolve(.failure(failure))
    }

    /// Binds, accepts and serves until cancelled or gracefully shut down.
    package func run() async throws {
        let serverChannel: NIOAsyncChannel<WirePipeline.Connection, Never>
        do {
            serverChannel = try await bind()
        } catch {
            bound.resolve(.failure(error))
            phase.withLock { $0 = "the wire server could not bind \(host):\(port): \(error)" }
            throw error
        }
        let address = serverChannel.channel.localAddress!
        bound.resolve(.success(address))
        phase.withLock { $0 = nil }
        defer { phase.withLock { $0 = "the wire server stopped" } }
        let open = Meter(label: "citychain_wire_connections")
        open.set(0)
        logger.info("wire server listening", metadata: ["wire.address": "\(address)", "wire.kinds": "\(router.kinds)"])
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await serverChannel.executeThenClose { inbound in
                    for try await connection in inbound {
                        let handler = ServerConnection(connection: connection, router: router, configuration: configuration,
                                                       limits: limits, revocations: revocations, logger: logger)
                        group.addTask {
                            open.increment()
                            await handler.run()
                            open.decrement()
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            self.phase.withLock { $0 = "the wire server is shutting down" }
            serverChannel.channel.close(promise: nil)
        }
        logger.info("wire server stopped", metadata: ["wire.address": "\(address)"])
    }

    private func bind() async throws -> NIOAsyncChannel<WirePipeline.Connection, Never> {
        let initial = try NIOSSLContext(configuration: tls)
        context.withLock { if $0 == nil { $0 = initial } }
        let configuration = self.configuration, budget = self.budget
        return try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.writeBufferWaterMark, value: WirePipeline.waterMark(configuration))
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sslContext = self.context.withLock { $0 ?? initial }
                    return try WirePipeline.install(on: channel, tls: NIOSSLServerHandler(context: sslContext),
                                             configuration: configuration, accepted: true, budget: budget)
                }
            }
    }
}
