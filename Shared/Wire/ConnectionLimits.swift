import CityPKI
import Synchronization

/// A server's caps on open connections (issue 17 item 2): in total and per peer certificate, on
/// the one keyed counter (`KeyedAdmission`). A connection counts from its admission (after the
/// handshake) until it closes. Validators' streams and the services' pools use a few connections
/// per peer, far below the per-peer cap.
package final class ConnectionLimits: Sendable {
    private let admission: Mutex<KeyedAdmission<PeerIdentity>>

    /// The caps of `configuration`.
    package init(_ configuration: WireConfiguration) {
        let requests = configuration.maxInFlightPerConnection
        admission = Mutex(KeyedAdmission(
            maxTotal: configuration.maxConnections, maxPerKey: configuration.maxConnectionsPerPeer,
            full: { "the server holds its most connections (\($0)); retry later or on another node" },
            keyFull: { "\($0) already holds \($1) connections to this server, its most; reuse one (each carries \(requests) requests at once) or close some" }))
    }

    /// Admits one more connection from `peer`, or says why not (the connection must then close).
    package func admit(_ peer: PeerIdentity) -> WireError? {
        admission.withLock { a -> WireError? in
            do throws(WireError) { try a.admit(peer) } catch { return error }
            return nil
        }
    }

    /// A connection admitted for `peer` closed.
    package func release(_ peer: PeerIdentity) {
        admission.withLock { $0.release(peer) }
    }
}
