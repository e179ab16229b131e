import CityEncoding

/// State entry `grant`: a grantee may read a dataset up to and including `expiresAtHeight` and,
/// when `expiresAtMillis` is not 0, while the block time is before `expiresAtMillis`.
@MemberwiseInit
package struct GrantEntry: Hashable, Sendable, CanonicalCodable {
    /// Last height at which the grant is live.
    package var expiresAtHeight: UInt64
    /// Block time (ms since the Unix epoch) from which the grant is over; 0: no time limit.
    package var expiresAtMillis: UInt64 = 0
    /// Why access was granted (for auditors).
    package var purpose: String
    /// Height the grant was made at.
    package var grantedAtHeight: UInt64

    package func encode(to w: inout CanonicalWriter) { w.u64(expiresAtHeight); w.u64(expiresAtMillis); w.string(purpose); w.u64(grantedAtHeight) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        expiresAtHeight = try r.u64("GrantEntry.expiresAtHeight")
        expiresAtMillis = try r.u64("GrantEntry.expiresAtMillis")
        purpose = try r.string(max: LedgerLimits.maxReasonBytes, "GrantEntry.purpose")
        grantedAtHeight = try r.u64("GrantEntry.grantedAtHeight")
    }

    /// Whether the grant is live at block `height` with block time `timeMillis`.
    package func isLive(atHeight height: UInt64, timeMillis: UInt64) -> Bool {
        height <= expiresAtHeight && (expiresAtMillis == 0 || timeMillis < expiresAtMillis)
    }
}
