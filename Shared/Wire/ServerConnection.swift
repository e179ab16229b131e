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
