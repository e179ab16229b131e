import CityEncoding
import CityWire

/// One registered service as the registry stores it. Times are milliseconds since the Unix epoch
/// on the registry database's clock (every registry replica reads the same clock).
///
/// Encoding: `ServiceKind` kind, string id (≤ 64), string address (`HOST:PORT`, ≤ 300),
/// Hash32 certificateFingerprint, bytes nodeKey (0 or 32), u64 leaseMillis, u64 registeredAtMillis,
/// u64 expiresAtMillis, string detail (≤ 256).
package struct ServiceEntry: Hashable, Sendable, CanonicalCodable {
    /// What the service is.
    package var kind: ServiceKind
    /// Its id: the common name of its certificate (unique per kind).
    package var id: String
    /// Where it serves the wire protocol, `HOST:PORT`.
    package var address: String
    /// SHA-256 of its certificate's DER bytes.
    package var certificateFingerprint: Hash32
    /// Its node key (e.g. a validator's signing key), or empty.
    package var nodeKey: [UInt8]
    /// The lease it asked for; each heartbeat extends the expiry by this much.
    package var leaseMillis: UInt64
    /// When it (last) registered.
    package var registeredAtMillis: UInt64
    /// When its lease runs out unless renewed.
    package var expiresAtMillis: UInt64
    /// Free-form, e.g. the software version.
    package var detail: String

    /// An entry from its parts (checked on decode, not here: use `RegisterRequest.validated`).
    package init(kind: ServiceKind, id: String, address: String, certificateFingerprint: Hash32, nodeKey: [UInt8] = [],
                 leaseMillis: UInt64, registeredAtMillis: UInt64, expiresAtMillis: UInt64, detail: String = "") {
        self.kind = kind
        self.id = id
        self.address = address
        self.certificateFingerprint = certificateFingerprint
        self.nodeKey = nodeKey
        self.leaseMillis = leaseMillis
        self.registeredAtMillis = registeredAtMillis
        self.expiresAtMillis = expiresAtMillis
        self.detail = detail
    }

    /// The directory key: one entry per kind and id.
    package var key: ServiceKey { ServiceKey(kind: kind, id: id) }

    /// The address parsed (nil only for entries that bypassed decoding checks).
    package var hostPort: HostPort? { HostPort(address) }

    /// Whether two entries differ in more than the lease expiry (a heartbeat changes only that).
    package func differsBeyondExpiry(from other: ServiceEntry) -> Bool {
        var a = self, b = other
        a.expiresAtMillis = 0
        b.expiresAtMillis = 0
        return a != b
    }

    package func encode(to w: inout CanonicalWriter) {
        w.encode(kind); w.string(id); w.string(address); w.encode(certificateFingerprint); w.bytes(nodeKey)
        w.u64(leaseMillis); w.u64(registeredAtMillis); w.u64(expiresAtMillis); w.string(detail)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        kind = try r.decode()
        id = try RegistryCodec.id(&r, "ServiceEntry.id")
        address = try RegistryCodec.address(&r, "ServiceEntry.address")
        certificateFingerprint = try r.decode()
        nodeKey = try RegistryCodec.nodeKey(&r, "ServiceEntry.nodeKey")
        leaseMillis = try r.u64("ServiceEntry.leaseMillis")
        registeredAtMillis = try r.u64("ServiceEntry.registeredAtMillis")
        expiresAtMillis = try r.u64("ServiceEntry.expiresAtMillis")
        detail = try r.string(max: RegistryAPI.maxDetailBytes, "ServiceEntry.detail")
    }
}

/// A directory key: a service kind and id. Encoding: `ServiceKind` kind, string id (≤ 64).
@MemberwiseInit
package struct ServiceKey: Hashable, Sendable, Comparable, CustomStringConvertible, CanonicalCodable {
    /// The kind.
    package var kind: ServiceKind
    /// The id within the kind.
    package var id: String

    package var description: String { "\(kind)/\(id)" }

    package static func < (a: ServiceKey, b: ServiceKey) -> Bool { (a.kind.rawValue, a.id) < (b.kind.rawValue, b.id) }

    package func encode(to w: inout CanonicalWriter) { w.encode(kind); w.string(id) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        kind = try r.decode()
        id = try RegistryCodec.id(&r, "ServiceKey.id")
    }
}

/// Field checks shared by the registry payloads.
enum RegistryCodec {
    /// A service id: 1-64 bytes of printable ASCII without spaces (a certificate common name).
    static func id(_ r: inout CanonicalReader, _ field: String) throws(CodecError) -> String {
        let s = try r.string(max: RegistryAPI.maxIDBytes, field)
        guard isValidID(s) else {
            throw CodecError(.invalidValue, field: field, "'\(s)' is not 1-\(RegistryAPI.maxIDBytes) printable ASCII characters without spaces")
        }
        return s
    }

    /// Whether `s` is a well-formed service id.
    static func isValidID(_ s: String) -> Bool {
        let b = Array(s.utf8)
        return (1...RegistryAPI.maxIDBytes).contains(b.count) && b.allSatisfy { (0x21...0x7e).contains($0) }
    }

    /// A `HOST:PORT` with a port 1…65535.
    static func address(_ r: inout CanonicalReader, _ field: String) throws(CodecError) -> String {
        let s = try r.string(max: RegistryAPI.maxAddressBytes, field)
        guard HostPort(s) != nil else { throw CodecError(.invalidValue, field: field, "'\(s)' is not HOST:PORT with a port 1-65535") }
        return s
    }

    /// Empty or 32 bytes.
    static func nodeKey(_ r: inout CanonicalReader, _ field: String) throws(CodecError) -> [UInt8] {
        let k = try r.bytes(max: RegistryAPI.nodeKeyBytes, field)
        guard k.isEmpty || k.count == RegistryAPI.nodeKeyBytes else {
            throw CodecError(.invalidValue, field: field, "is \(k.count) bytes; a node key is absent (0) or \(RegistryAPI.nodeKeyBytes) bytes")
        }
        return k
    }
}
