import CityPKI
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// The client TLS context, shared by every copy of a `WireClient` so a reload reaches them all.
final class ClientTLSContext: Sendable {
    private let context: Mutex<NIOSSLContext>
    init(_ context: NIOSSLContext) { self.context = Mutex(context) }
    var current: NIOSSLContext { context.withLock { $0 } }
    func replace(_ fresh: NIOSSLContext) { context.withLock { $0 = fresh } }
}

/// Opens client connections to wire servers with the caller's certificate (mutual TLS 1.3) and
/// checks each server's role before use.
package struct WireClient: Sendable {
    private let tlsContext: ClientTLSContext
    private let configuration: WireConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    /// Certificates revoked on chain (the service's list): a server presenting one is not used,
    /// and a connection to a server whose certificate is revoked later is closed then.
    private let revocations: CertificateRevocations?

    /// A client; `tls` should come from `TLSSetup.client` (it carries the client certificate).
    package init(tls: TLSConfiguration, configuration: WireConfiguration = WireConfiguration(),
                 eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                 revocations: CertificateRevocations? = nil, logger: Logger) throws {
        tlsContext = ClientTLSContext(try NIOSSLContext(configuration: tls))
        self.revocations = revocations
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Uses `tls` for connections opened from now on (certificate reload); open ones keep theirs.
    /// Throws, keeping the current identity, when NIOSSL rejects the configuration.
    package func replaceTLS(_ tls: TLSConfiguration) throws {
        tlsContext.replace(try NIOSSLContext(configuration: tls))
    }

    /// Connects to `host:port`, checks that the server's role is `role`, runs `body`, then closes.
    package func withConnection<T: Sendable>(host: String, port: Int, expecting role: Role,
                                             _ body: (WireConnection) async throws -> T) async throws -> T {
        try await withConnection(host: host, port: port, expecting: { $0 == role }, body)
    }

    /// Connects to `host:port`, checks the server's role with `expecting`, runs `body` with the
    /// connection while a child task reads answers, then closes the connection.
    package func withConnection<T: Sendable>(host: String, port: Int, expecting: @escaping @Sendable (Role) -> Bool,
                                             _ body: (WireConnection) async throws -> T) async throws -> T {
        let connection = try await connect(host: host, port: port)
        let channel = connection.channel.channel
        return try await connection.channel.executeThenClose { inbound, _ in
            let server = try await connection.identity.get()
            guard expecting(server.role) else {
                throw WireError(.forbidden, "the server at \(host):\(port) is \(server), not the role expected; check the address")
            }
            var token: UInt64?
            if let revocations {
                switch revocations.open(server.fingerprint, close: { _ in channel.close(promise: nil) }) {
                case .success(let t): token = t
                case .failure(let refusal):
                    throw WireError(.forbidden, "the server at \(host):\(port) (\(server)) presents a certificate revoked on chain: \(refusal.message)")
                }
            }
            defer { if let token { revocations?.closed(server.fingerprint, token: token) } }
            var logger = logger
            logger[metadataKey: "peer.id"] = "\(server)"
            let wire = WireConnection(server: server, channel: channel, configuration: configuration, logger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await wire.readLoop(inbound) }
                defer {
                    channel.close(promise: nil)
                    group.cancelAll()
                }
                return try await body(wire)
            }
        }
    }

    private func connect(host: String, port: Int) async throws -> WirePipeline.Connection {
        let sslContext = tlsContext.current
        let configuration = self.configuration
        return try await ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(TimeAmount(configuration.handshakeTimeout))
            .channelOption(.writeBufferWaterMark, value: WirePipeline.waterMark(configuration))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try WirePipeline.install(on: channel, tls: NIOSSLClientHandler(context: sslContext, serverHostname: nil),
                                             configuration: configuration)
                }
            }
    }
}
