import CityEncoding

/// An agency present from genesis.
@MemberwiseInit
package struct GenesisAgency: Hashable, Sendable, Codable, CanonicalCodable {
    /// Its id.
    package var id: AgencyID
    /// Human-readable name.
    package var name: String
    /// Whether it belongs to the admin set.
    package var isAdmin: Bool
    /// Its signing and sealing keys, sorted by key id.
    package var keys: [AgencyKey]

    package func encode(to w: inout CanonicalWriter) {
        w.encode(id); w.string(name); w.bool(isAdmin); w.array(keys)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        id = try AgencyID(from: &r)
        name = try r.string(max: LedgerLimits.maxNameBytes, "GenesisAgency.name")
        isAdmin = try r.bool("GenesisAgency.isAdmin")
        keys = try r.array(max: LedgerLimits.maxKeysPerAgency, "GenesisAgency.keys")
    }
}
