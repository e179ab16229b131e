import CityEncoding

/// One entry of a validator-set change: set `publicKey`'s power (0 removes it) and name.
@MemberwiseInit
package struct ValidatorChange: Hashable, Sendable, CanonicalCodable {
    /// The validator's Ed25519 key.
    package var publicKey: PublicKey
    /// New voting power; 0 removes the validator.
    package var power: UInt64
    /// Human-readable name (1–128 bytes).
    package var name: String

    package func encode(to writer: inout CanonicalWriter) {
        publicKey.encode(to: &writer)
        writer.u64(power)
        writer.string(name)
    }

    package init(from reader: inout CanonicalReader) throws(CodecError) {
        publicKey = try PublicKey(from: &reader)
        power = try reader.u64("ValidatorChange.power")
        name = try reader.string(max: LedgerLimits.maxNameBytes, "ValidatorChange.name")
    }
}
