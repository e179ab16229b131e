import CityEncoding

/// One reader of a sealed payload: its key and the content key HPKE-sealed to it.
@MemberwiseInit
package struct SealedRecipient: Hashable, Sendable, CanonicalCodable {
    /// The reading agency.
    package var agency: AgencyID
    /// Which of its sealing keys.
    package var keyID: KeyID
    /// HPKE encapsulated key (32 bytes for X25519).
    package var encapsulatedKey: [UInt8]
    /// The 32-byte content key sealed with HPKE (48 bytes with its tag).
    package var wrappedKey: [UInt8]

    /// The HPKE additional data: the canonical (agency, keyID), so an entry cannot be relabelled.
    var associatedData: [UInt8] { Signer(agency: agency, keyID: keyID).canonicalBytes }

    package func encode(to w: inout CanonicalWriter) {
        w.encode(agency)
        w.encode(keyID)
        w.bytes(encapsulatedKey)
        w.bytes(wrappedKey)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        agency = try AgencyID(from: &r)
        keyID = try KeyID(from: &r)
        encapsulatedKey = try r.bytes(max: LedgerLimits.maxEncapsulatedKeyBytes, "SealedRecipient.encapsulatedKey")
        wrappedKey = try r.bytes(max: LedgerLimits.maxWrappedKeyBytes, "SealedRecipient.wrappedKey")
    }
}
