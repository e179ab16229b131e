import CityEncoding

/// One item of the registry watch stream (kind 0x0405): first a `snapshot`, then changes as they
/// happen on any registry replica, and a `keepalive` when nothing changed for a while.
///
/// Encoding: u8 tag, then 0 `LookupAnswer` | 1 `ServiceEntry` | 2 `ServiceEntry` |
/// 3 `ServiceKey` then u8 reason | 4 u64 registryTimeMillis, u64 revision.
/// A renewal (heartbeat) alone is not an `updated`: only changes beyond the expiry are.
package enum WatchEvent: Hashable, Sendable, CanonicalCodable {
    /// The whole directory (of the kind watched) when the stream opened.
    case snapshot(LookupAnswer)
    /// A service appeared.
    case added(ServiceEntry)
    /// A service re-registered with other details (address, certificate, key, lease, detail).
    case updated(ServiceEntry)
    /// A service dropped out.
    case removed(ServiceKey, RemovalReason)
    /// Nothing changed; the registry is alive at this time and revision.
    case keepalive(registryTimeMillis: UInt64, revision: UInt64)

    /// Why an entry dropped out. Encoding: u8, 0 deregistered | 1 expired.
    package enum RemovalReason: UInt8, Hashable, Sendable, CustomStringConvertible {
        /// The service removed itself (or its row went away before its lease ran out).
        case deregistered = 0
        /// Its lease ran out without a heartbeat.
        case expired = 1

        package var description: String { self == .expired ? "expired" : "deregistered" }
    }

    package func encode(to w: inout CanonicalWriter) {
        switch self {
        case .snapshot(let a): w.u8(0); w.encode(a)
        case .added(let e): w.u8(1); w.encode(e)
        case .updated(let e): w.u8(2); w.encode(e)
        case .removed(let k, let reason): w.u8(3); w.encode(k); w.u8(reason.rawValue)
        case .keepalive(let t, let rev): w.u8(4); w.u64(t); w.u64(rev)
        }
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let tag = try r.u8("WatchEvent")
        switch tag {
        case 0: self = .snapshot(try r.decode())
        case 1: self = .added(try r.decode())
        case 2: self = .updated(try r.decode())
        case 3:
            let key: ServiceKey = try r.decode()
            let raw = try r.u8("WatchEvent.removed.reason")
            guard let reason = RemovalReason(rawValue: raw) else { throw .unknownTag("WatchEvent.removed.reason", raw) }
            self = .removed(key, reason)
        case 4: self = .keepalive(registryTimeMillis: try r.u64("WatchEvent.keepalive.registryTimeMillis"),
                                  revision: try r.u64("WatchEvent.keepalive.revision"))
        default: throw .unknownTag("WatchEvent", tag)
        }
    }
}
