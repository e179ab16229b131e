import CityEncoding

/// Who signed: an agency and the id of the signing key it used.
package struct Signer: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    /// The signing agency.
    package var agency: AgencyID
    /// Which of its signing keys.
    package var keyID: KeyID

    /// A signer from its parts.
    package init(agency: AgencyID, keyID: KeyID) {
        self.agency = agency
        self.keyID = keyID
    }

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
