import CityWire

/// The message kinds the registry serves (docs/PROTOCOL.md, Part 8; docs/REGISTRY.md): services
/// register under a lease, renew it by heartbeat and drop out when it expires; anyone
/// authenticated looks them up or watches the directory change.
package enum RegistryAPI {
    /// Register or re-register the caller: `RegisterRequest` → `ServiceEntry` (as stored, with its expiry).
    package static let register = MessageKind(.registry, 0x01)
    /// Renew the caller's lease: `HeartbeatRequest` → `ServiceEntry` (`notFound` once the lease was lost: register again).
    package static let heartbeat = MessageKind(.registry, 0x02)
    /// Remove the caller's entry: `HeartbeatRequest` → empty.
    package static let deregister = MessageKind(.registry, 0x03)
    /// Live entries of one kind or of all: `LookupRequest` → `LookupAnswer`.
    package static let lookup = MessageKind(.registry, 0x04)
    /// Server stream: `LookupRequest` → `WatchEvent`s, a snapshot first, then changes.
    package static let watch = MessageKind(.registry, 0x05)
    /// Every stored entry, live or expired but not yet purged: empty → `LookupAnswer`.
    package static let listAll = MessageKind(.registry, 0x06)

    /// Shortest lease a service may ask for.
    package static let minLeaseMillis: UInt64 = 1_000
    /// Longest lease a service may ask for.
    package static let maxLeaseMillis: UInt64 = 300_000
    /// Longest service id (the certificate's common name), in UTF-8 bytes.
    package static let maxIDBytes = 64
    /// Longest advertised address (`HOST:PORT`), in UTF-8 bytes.
    package static let maxAddressBytes = 300
    /// Longest free-form detail (e.g. the version), in UTF-8 bytes.
    package static let maxDetailBytes = 256
    /// A node key is absent (0 bytes) or an Ed25519/X25519 public key (32 bytes).
    package static let nodeKeyBytes = 32
    /// Most entries one answer or snapshot carries.
    package static let maxEntriesPerAnswer = 1_000
}
