import CityEncoding
import CityPKI

/// What a registered service is. Each kind is the certificate role allowed to register as it.
///
/// Encoding: u8, 1 validator | 2 indexer | 3 gateway | 4 registry.
package enum ServiceKind: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible, CanonicalCodable {
    case validator = 1
    case indexer = 2
    case gateway = 3
    case registry = 4

    /// The kind a certificate role registers as (nil: agencies and admins are not services).
    package init?(role: Role) {
        switch role {
        case .validator: self = .validator
        case .indexer: self = .indexer
        case .gateway: self = .gateway
        case .registry: self = .registry
        case .admin, .agency, .database: return nil
        }
    }

    /// Parses `validator`, `indexer`, `gateway` or `registry`.
    package init?(name: String) {
        guard let k = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = k
    }

    /// The certificate role that may register as this kind.
    package var role: Role {
        switch self {
        case .validator: .validator
        case .indexer: .indexer
        case .gateway: .gateway
        case .registry: .registry
        }
    }

    package var description: String {
        switch self {
        case .validator: "validator"
        case .indexer: "indexer"
        case .gateway: "gateway"
        case .registry: "registry"
        }
    }

    package func encode(to w: inout CanonicalWriter) { w.u8(rawValue) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let tag = try r.u8("ServiceKind")
        guard let k = ServiceKind(rawValue: tag) else { throw .unknownTag("ServiceKind", tag) }
        self = k
    }
}
