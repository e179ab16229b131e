import CityEncoding
/// The `u16` message kind in a frame header: which operation a request calls.
///
/// Allocation plan (docs/protocol/wire.md, "Message kinds"): the high byte names the owner, the low
/// byte the operation. `0x00xx` control (this module), `0x01xx` validator, `0x02xx` indexer,
/// `0x03xx` gateway, `0x04xx` registry, `0x05xx` every service (node); `0x06xx`–`0xFFxx` unallocated. Services declare their own
/// kinds with `MessageKind(.validator, 0x01)` and register them on a `WireRouter`.
@MemberwiseInit
package struct MessageKind: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The owner of a block of 256 kinds (the high byte).
    package enum Owner: UInt8, Sendable, CaseIterable {
        /// Kinds defined by the wire module itself.
        case control = 0x00
        /// Kinds served by validators (consensus, block sync, submit).
        case validator = 0x01
        /// Kinds served by indexers (queries, audit).
        case indexer = 0x02
        /// Kinds served by gateways (agency-facing API).
        case gateway = 0x03
        /// Kinds served by the registry (register, heartbeat, lookup, watch: docs/protocol/registry.md).
        case registry = 0x04
        /// Kinds every service process serves (node.info), defined in Shared/Node.
        case node = 0x05
    }

    /// The wire value.
    package let rawValue: UInt16

    /// The kind `operation` in `owner`'s block.
    package init(_ owner: Owner, _ operation: UInt8) {
        rawValue = UInt16(owner.rawValue) << 8 | UInt16(operation)
    }

    /// The block this kind belongs to, or nil for an unallocated block.
    package var owner: Owner? { Owner(rawValue: UInt8(rawValue >> 8)) }

    /// Kind of frames about the connection itself: ping, pong, cancel and connection-level errors.
    package static let connection = MessageKind(rawValue: 0x0000)

    package var description: String {
        let hex = String(rawValue, radix: 16)
        return "0x" + String(repeating: "0", count: 4 - hex.count) + hex
    }

    package static func < (a: MessageKind, b: MessageKind) -> Bool { a.rawValue < b.rawValue }
}
