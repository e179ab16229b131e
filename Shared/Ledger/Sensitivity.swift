import CityEncoding

/// Who may read a dataset: `public` anyone; `internal` and `restricted` the owner, the writers
/// and agencies holding a live grant. Restricted payloads are also sealed (`SealedPayload`).
package enum Sensitivity: UInt8, Hashable, Sendable, CanonicalCodable, CaseIterable {
    /// Readable by anyone; JSON payloads.
    case `public` = 0
    /// Readable by owner, writers and grantees; JSON payloads visible to validators and indexers.
    case `internal` = 1
    /// Like internal, and payloads are sealed to the readers' X25519 keys.
    case restricted = 2

    package func encode(to writer: inout CanonicalWriter) { writer.u8(rawValue) }

    package init(from reader: inout CanonicalReader) throws(CodecError) {
        let tag = try reader.u8("Sensitivity")
        guard let s = Sensitivity(rawValue: tag) else { throw .unknownTag("Sensitivity", tag) }
        self = s
    }
}
