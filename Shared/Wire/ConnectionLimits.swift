import CityPKI
import Synchronization

/// A server's caps on open connections (issue 17 item 2), on the one keyed counter
/// (`KeyedAdmission`): in total, per peer certificate, and per class of role — agencies on one
/// side, the services (validators, indexers, gateways, registries, admins) on the other — so that
/// neither class can take the last `connectionsReservedPerClass` places from the other: a flood of
/// agency connections never locks out the validators' streams or the gateways' pools. A connection
/// counts from its admission (after the handshake) until it closes.
package final class ConnectionLimits: Sendable {
    /// Agencies, or the services' own roles.
    package enum RoleClass: Hashable, Sendable, CustomStringConvertible {
        case agencies, services

        /// A database certificate (admitted by no route) counts with the agencies: it never takes a service's place.
        package init(_ role: Role) {
            switch role {
            case .validator, .indexer, .gateway, .registry, .admin: self = .services
            case .agency, .database: self = .agencies
            }
        }

        package var description: String {
            switch self {
            case .agencies: "agency certificates"
            case .services: "service certificates (validators, indexers, gateways, registries, admins)"
            }
        }
    }

    private struct Counts {
        var perPeer: KeyedAdmission<PeerIdentity>
        var perClass: KeyedAdmission<RoleClass>
    }

    private let counts: Mutex<Counts>

    /// The caps of `configuration`.
    package init(_ configuration: WireConfiguration) {
        let requests = configuration.maxInFlightPerConnection
        let total = configuration.maxConnections
        let perClass = max(1, total - min(configuration.connectionsReservedPerClass, total / 2))
        counts = Mutex(Counts(
            perPeer: KeyedAdmission(
                maxTotal: total, maxPerKey: configuration.maxConnectionsPerPeer,
                full: { "the server holds its most connections (\($0)); retry later or on another node" },
                keyFull: { "\($0) already holds \($1) connections to this server, its most; reuse one (each carries \(requests) requests at once) or close some" }),
            perClass: KeyedAdmission(
                maxTotal: total, maxPerKey: perClass,
                full: { "the server holds its most connections (\($0)); retry later or on another node" },
                keyFull: { "\($0) hold \($1) connections to this server, their most (the rest is kept for the other class); retry later or on another node" })))
    }

    /// Admits one more connection from `peer`, or says why not (the connection must then close).
    package func admit(_ peer: PeerIdentity) -> WireError? {
        counts.withLock { c -> WireError? in
            do throws(WireError) {
                try c.perPeer.admit(peer)
            } catch {
                return error
            }
            do throws(WireError) {
                try c.perClass.admit(RoleClass(peer.role))
            } catch {
                c.perPeer.release(peer)
                return error
            }
            return nil
        }
    }

    /// A connection admitted for `peer` closed.
    package func release(_ peer: PeerIdentity) {
        counts.withLock { c in
            c.perPeer.release(peer)
            c.perClass.release(RoleClass(peer.role))
        }
    }
}
