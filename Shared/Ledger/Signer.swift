import CityEncoding

/// Who signed: an agency and the id of the signing key it used.
@MemberwiseInit
package struct Signer: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    /// The signing agency.
    package var agency: AgencyID
    /// Which of its signing keys.
    package var keyID: KeyID

    package var description: String { "\(agency)#\(keyID)" }

    package static func < (a: Signer, b: Signer) -> Bool {
        a.agency != b.agency ? a.agency < b.agency : a.keyID < b.keyID
    }

    package func encode(to writer: inout CanonicalWriter) {
        agency.encode(to: &writer)
        keyID.encode(to: &writer)
    }

    package init(from reader: inout CanonicalReader) throws(CodecError) {
        agency = try AgencyID(from: &reader)
        keyID = try KeyID(from: &reader)
    }
}
