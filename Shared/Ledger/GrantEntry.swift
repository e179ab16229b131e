import CityEncoding

/// State entry `grant`: a grantee may read a dataset up to and including `expiresAtHeight`.
@MemberwiseInit
package struct GrantEntry: Hashable, Sendable, CanonicalCodable {
    /// Last height at which the grant is live.
    package var expiresAtHeight: UInt64
    /// Why access was granted (for auditors).
    package var purpose: String
    /// Height the grant was made at.
    package var grantedAtHeight: UInt64

    package func encode(to w: inout CanonicalWriter) { w.u64(expiresAtHeight); w.string(purpose); w.u64(grantedAtHeight) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        expiresAtHeight = try r.u64("GrantEntry.expiresAtHeight")
        purpose = try r.string(max: LedgerLimits.maxReasonBytes, "GrantEntry.purpose")
        grantedAtHeight = try r.u64("GrantEntry.grantedAtHeight")
    }
}
