import CityEncoding

/// A service registering itself. The registry checks it against the caller's certificate: the
/// kind must be the certificate's role, the id its common name, the fingerprint its SHA-256.
///
/// Encoding: `ServiceKind` kind, string id (≤ 64), string address (`HOST:PORT`, ≤ 300),
/// Hash32 certificateFingerprint, bytes nodeKey (0 or 32), u64 leaseMillis (1 000…300 000),
/// string detail (≤ 256).
package struct RegisterRequest: Hashable, Sendable, CanonicalCodable {
    package var kind: ServiceKind
    package var id: String
    package var address: String
    package var certificateFingerprint: Hash32
    package var nodeKey: [UInt8]
    /// How long the entry lives without a heartbeat.
    package var leaseMillis: UInt64
    package var detail: String

    /// A registration from its parts.
    package init(kind: ServiceKind, id: String, address: String, certificateFingerprint: Hash32, nodeKey: [UInt8] = [],
                 leaseMillis: UInt64, detail: String = "") {
        self.kind = kind
        self.id = id
        self.address = address
        self.certificateFingerprint = certificateFingerprint
        self.nodeKey = nodeKey
        self.leaseMillis = leaseMillis
        self.detail = detail
    }

    /// The entry's key.
    package var key: ServiceKey { ServiceKey(kind: kind, id: id) }

    /// Checks the fields a decoder would check, for requests built locally (the agent).
    package func validated() throws(CodecError) -> RegisterRequest { try RegisterRequest(canonicalBytes: canonicalBytes) }

    package func encode(to w: inout CanonicalWriter) {
        w.encode(kind); w.string(id); w.string(address); w.encode(certificateFingerprint); w.bytes(nodeKey)
        w.u64(leaseMillis); w.string(detail)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        kind = try r.decode()
        id = try RegistryCodec.id(&r, "RegisterRequest.id")
        address = try RegistryCodec.address(&r, "RegisterRequest.address")
        certificateFingerprint = try r.decode()
        nodeKey = try RegistryCodec.nodeKey(&r, "RegisterRequest.nodeKey")
        leaseMillis = try r.u64("RegisterRequest.leaseMillis")
        guard (RegistryAPI.minLeaseMillis...RegistryAPI.maxLeaseMillis).contains(leaseMillis) else {
            throw CodecError(.invalidValue, field: "RegisterRequest.leaseMillis",
                             "\(leaseMillis) ms is outside \(RegistryAPI.minLeaseMillis)…\(RegistryAPI.maxLeaseMillis) ms; ask for a lease of 1 s to 5 min")
        }
        detail = try r.string(max: RegistryAPI.maxDetailBytes, "RegisterRequest.detail")
    }
}

/// A heartbeat or a deregistration of the caller's own entry. Encoding: `ServiceKey`.
package struct HeartbeatRequest: Hashable, Sendable, CanonicalCodable {
    package var key: ServiceKey

    /// A request for `kind`/`id`.
    package init(kind: ServiceKind, id: String) { key = ServiceKey(kind: kind, id: id) }

    package func encode(to w: inout CanonicalWriter) { w.encode(key) }

    package init(from r: inout CanonicalReader) throws(CodecError) { key = try r.decode() }
}

/// A lookup or a watch, of one kind or of all. Encoding: optional `ServiceKind` (0 = all, 1 then the kind).
@MemberwiseInit
package struct LookupRequest: Hashable, Sendable, CanonicalCodable {
    /// Only this kind (nil: every kind).
    package var kind: ServiceKind? = nil

    package func encode(to w: inout CanonicalWriter) { w.optional(kind) }

    package init(from r: inout CanonicalReader) throws(CodecError) { kind = try r.optional("LookupRequest.kind") }
}

/// Entries as of one moment of the registry.
///
/// Encoding: u64 registryTimeMillis, u64 revision, u32 count (≤ 1 000) then `ServiceEntry`s
/// ordered by (kind, id) without duplicates.
package struct LookupAnswer: Hashable, Sendable, CanonicalCodable {
    /// The registry database's clock when the answer was read.
    package var registryTimeMillis: UInt64
    /// The directory's revision (bumped by every change, on any replica).
    package var revision: UInt64
    /// The entries.
    package var entries: [ServiceEntry]

    /// An answer from its parts; `entries` are sorted here.
    package init(registryTimeMillis: UInt64, revision: UInt64, entries: [ServiceEntry]) {
        self.registryTimeMillis = registryTimeMillis
        self.revision = revision
        self.entries = entries.sorted { $0.key < $1.key }
    }

    package func encode(to w: inout CanonicalWriter) {
        w.u64(registryTimeMillis); w.u64(revision); w.array(entries)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        registryTimeMillis = try r.u64("LookupAnswer.registryTimeMillis")
        revision = try r.u64("LookupAnswer.revision")
        entries = try r.array(max: RegistryAPI.maxEntriesPerAnswer, "LookupAnswer.entries")
        for (a, b) in zip(entries, entries.dropFirst()) where !(a.key < b.key) {
            throw CodecError(.nonCanonical, field: "LookupAnswer.entries", "\(b.key) follows \(a.key); entries are ordered by kind then id, each once")
        }
    }
}
