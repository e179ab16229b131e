import CityEncoding

/// A voting validator: its key, voting power and name.
@MemberwiseInit
package struct Validator: Hashable, Sendable, CanonicalCodable, Codable {
    /// Ed25519 key that signs its votes.
    package var publicKey: PublicKey
    /// Voting power (at least 1).
    package var power: UInt64
    /// Human-readable name.
    package var name: String

    package func encode(to w: inout CanonicalWriter) {
        w.encode(publicKey)
        w.u64(power)
        w.string(name)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        publicKey = try PublicKey(from: &r)
        power = try r.u64("Validator.power")
        guard power > 0 else { throw CodecError(.invalidValue, field: "Validator.power", "0; a listed validator has power ≥ 1") }
        name = try r.string(max: LedgerLimits.maxNameBytes, "Validator.name")
    }
}
