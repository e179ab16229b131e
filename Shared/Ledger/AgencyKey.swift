import CityEncoding

/// One key an agency registers: its id and the public key.
@MemberwiseInit
package struct AgencyKey: Hashable, Sendable, CanonicalCodable {
    /// The key's id, unique within the agency.
    package var keyID: KeyID
    /// The public key and its kind.
    package var material: AgencyKeyMaterial

    package func encode(to writer: inout CanonicalWriter) {
        keyID.encode(to: &writer)
        material.encode(to: &writer)
    }

    package init(from reader: inout CanonicalReader) throws(CodecError) {
        keyID = try KeyID(from: &reader)
        material = try AgencyKeyMaterial(from: &reader)
    }
}
