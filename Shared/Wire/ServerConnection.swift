import CityPKI
import Logging
import NIOCore
import ServiceLifecycle

/// One accepted connection: waits for the TLS handshake and the peer's identity, then runs a
/// `ServerSession` until the connection ends. Catches its own errors so one connection never
/// disturbs another.
struct ServerConnection: Sendable {
    let connection: WirePipeline.Connection
    let router: WireRouter
    let configuration: WireConfiguration
    let limits: ConnectionLimits
    let revocations: CertificateRevocations
    let logger: Logger

    func run() async {
        var logger = logger
        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                let peer: PeerIdentity
                do {
                    peer = try await connection.identity.get()
                } catch {
                    WireRefusals.record("handshake", peer: nil, detail: "\(error)", logger: logger)
                    throw error
                }
                logger[metadataKey: "peer.id"] = "\(peer)"
                // A certificate revoked on chain is refused now; one revoked later ends this connection then.
                let channel = connection.channel.channel
                let token: UInt64
                let peerLogger = logger
                switch revocations.open(peer.fingerprint, close: { refusal in
                    WireRefusals.record("revoked", peer: "\(peer)", detail: refusal.message, logger: peerLogger)
                    channel.writeAndFlush(Frame.error(refusal)).whenComplete { _ in channel.close(promise: nil) }
                }) {
                case .success(let t): token = t
                case .failure(let refusal):
                    WireRefusals.record("revoked", peer: "\(peer)", detail: refusal.message, logger: logger)
                    try? await outbound.write(.error(refusal))
                    return
                }
                defer { revocations.closed(peer.fingerprint, token: token) }
                if let refusal = limits.admit(peer) {
                    WireRefusals.record("connections", peer: "\(peer)", detail: refusal.message, logger: logger)
                    try? await outbound.write(.error(refusal))
                    return
                }
                defer { limits.release(peer) }
                logger.debug("connection open")
                let state = ServerConnectionState(peer: peer, router: router, maxInFlight: configuration.maxInFlightPerConnection)
                let session = ServerSession(state: state, channel: connection.channel.channel, outbound: outbound,
                                            configuration: configuration, logger: logger)
                await withGracefulShutdownHandler {
                    await withDiscardingTaskGroup { group in
                        await session.readLoop(inbound, group: &group)
                        // The peer is gone or we are closing: answers could not be delivered.
                        group.cancelAll()
                    }
                } onGracefulShutdown: {
                    session.drain()
                }
            }
            logger.debug("connection closed")
        } catch {
            logger.debug("connection refused or failed", metadata: ["wire.error": "\(error)"])
        }
    }
}
