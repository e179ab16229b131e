import CityEncoding

/// One record version's content key, re-wrapped by the dataset owner to a grantee's sealing key
/// (`shareRecordKeys`): the grantee opens the version's `SealedPayload` with it as if it had been
/// a recipient from the start (`SealedPayload.open(share:privateKey:)`).
///
/// Encoding: SubjectKey subject, u64 version, SealedRecipient key.
@MemberwiseInit
package struct RecordKeyShare: Hashable, Sendable, CanonicalCodable {
    /// The record.
    package var subject: SubjectKey
    /// Its version (1 is the first write).
    package var version: UInt64
    /// The content key sealed to the grantee's key (`key.agency` is the grantee).
    package var key: SealedRecipient

    /// What shares are sorted by: subject, then version, then key id.
    package var order: Order { Order(subject: subject, version: version, keyID: key.keyID) }

    /// The sort key of a share.
    package struct Order: Comparable, Hashable, Sendable {
        package var subject: SubjectKey
        package var version: UInt64
        package var keyID: KeyID
        package init(subject: SubjectKey, version: UInt64, keyID: KeyID) {
            self.subject = subject
            self.version = version
            self.keyID = keyID
        }
        package static func < (a: Order, b: Order) -> Bool {
            (a.subject, a.version, a.keyID) < (b.subject, b.version, b.keyID)
        }
    }

    package func encode(to w: inout CanonicalWriter) { w.encode(subject); w.u64(version); w.encode(key) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        subject = try SubjectKey(from: &r)
        version = try r.u64("RecordKeyShare.version")
        key = try SealedRecipient(from: &r)
    }
}
