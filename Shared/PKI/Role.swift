/// What a certificate's holder is allowed to be in a CityChain deployment. The role is written
/// into the certificate by the city CA (a SAN URI `citychain:role:<role>`), and every service
/// checks it per message kind.
package enum Role: Hashable, Sendable, CustomStringConvertible {
    /// A consensus validator (or observer).
    case validator
    /// An indexer following the chain into PostgreSQL.
    case indexer
    /// A gateway: the front door for agencies.
    case gateway
    /// A registry replica.
    case registry
    /// A city administrator (operator tools, admin transactions).
    case admin
    /// An agency, with its on-chain agency id.
    case agency(String)
    /// A PostgreSQL server (the indexer's or the registry's database): a TLS server certificate
    /// the services verify on their database link. No service admits it as a peer.
    case database

    /// One of each kind of role (an agency stands for every agency), to say which roles a rule admits.
    package static let representatives: [Role] = [.validator, .indexer, .gateway, .registry, .admin, .agency("any-agency")]

    /// The URI scheme prefix used in the certificate's subject alternative name.
    package static let uriPrefix = "citychain:role:"

    /// `validator`, `indexer`, `gateway`, `registry`, `admin`, `agency:<id>` or `database`.
    package var description: String {
        switch self {
        case .validator: "validator"
        case .indexer: "indexer"
        case .gateway: "gateway"
        case .registry: "registry"
        case .admin: "admin"
        case .agency(let id): "agency:\(id)"
        case .database: "database"
        }
    }

    /// The SAN URI that carries this role in a certificate.
    package var uri: String { Self.uriPrefix + description }

    /// The agency id when this is an agency role.
    package var agencyID: String? {
        if case .agency(let id) = self { return id }
        return nil
    }

    /// Parses `validator`, `indexer`, `gateway`, `registry`, `admin`, `agency:<id>` or `database`
    /// (agency ids: 1-64 characters of a-z, 0-9 and '-').
    package init(parsing text: String) throws(PKIError) {
        switch text {
        case "validator": self = .validator
        case "indexer": self = .indexer
        case "gateway": self = .gateway
        case "registry": self = .registry
        case "admin": self = .admin
        case "database": self = .database
        default:
            guard text.hasPrefix("agency:") else {
                throw PKIError(.invalidRole, "unknown role '\(text)'; use validator, indexer, gateway, registry, admin, agency:<id> or database")
            }
            let id = String(text.dropFirst("agency:".count))
            guard Self.isValidAgencyID(id) else {
                throw PKIError(.invalidRole, "agency id '\(id)' is not 1-64 characters of a-z, 0-9 and '-'")
            }
            self = .agency(id)
        }
    }

    /// Whether `id` is a well-formed agency id.
    package static func isValidAgencyID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d }
    }
}
