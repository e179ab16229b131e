import CityEncoding

/// A registered key and its status: active, or revoked from `revokedAtHeight` on.
@MemberwiseInit
package struct AgencyKeyState: Hashable, Sendable, CanonicalCodable {
    /// The key.
    package var key: AgencyKey
    /// Height of the transaction that registered it (0 = genesis).
    package var addedAtHeight: UInt64
    /// Height of the transaction that revoked it; nil while active.
    package var revokedAtHeight: UInt64? = nil

    package func encode(to w: inout CanonicalWriter) {
        w.encode(key); w.u64(addedAtHeight); w.optional(revokedAtHeight) { w, h in w.u64(h) }
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        key = try AgencyKey(from: &r)
        addedAtHeight = try r.u64("AgencyKeyState.addedAtHeight")
        revokedAtHeight = try r.optional("AgencyKeyState.revokedAtHeight") { (r: inout CanonicalReader) throws(CodecError) in
            try r.u64("AgencyKeyState.revokedAtHeight")
        }
    }
}
