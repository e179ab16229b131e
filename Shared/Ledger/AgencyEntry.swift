import CityEncoding

/// State entry `agency`: a registered agency and all its keys (sorted by key id, revoked ones kept).
package struct AgencyEntry: Hashable, Sendable, CanonicalCodable {
    /// Its id.
    package var id: AgencyID
    /// Human-readable name.
    package var name: String
    /// Whether it is in the admin set.
    package var isAdmin: Bool
    /// Its keys by id.
    package var keys: [AgencyKeyState]

    /// An entry from its parts; keys are sorted by id.
    package init(id: AgencyID, name: String, isAdmin: Bool, keys: [AgencyKeyState]) {
        self.id = id
        self.name = name
        self.isAdmin = isAdmin
        self.keys = keys.sorted { $0.key.keyID < $1.key.keyID }
    }

    /// The key with `keyID`, if any.
    package func key(_ keyID: KeyID) -> AgencyKeyState? { keys.first { $0.key.keyID == keyID } }

    /// Active sealing keys, for sealing payloads to this agency.
    package var activeSealingKeys: [(KeyID, SealingPublicKey)] {
        keys.compactMap { k in
            guard k.revokedAtHeight == nil, case .sealing(let pk) = k.key.material else { return nil }
            return (k.key.keyID, pk)
        }
    }

    package func encode(to w: inout CanonicalWriter) { w.encode(id); w.string(name); w.bool(isAdmin); w.array(keys) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        id = try AgencyID(from: &r)
        name = try r.string(max: LedgerLimits.maxNameBytes, "AgencyEntry.name")
        isAdmin = try r.bool("AgencyEntry.isAdmin")
        keys = try r.array(max: LedgerLimits.maxKeysPerAgency, "AgencyEntry.keys")
        try LedgerOperation.requireIncreasing(keys.map(\.key.keyID), "AgencyEntry.keys")
    }
}
