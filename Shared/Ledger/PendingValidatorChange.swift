import CityEncoding

/// A validator-set change waiting for its height (state entry `pendingValidatorChanges` lists them).
@MemberwiseInit
package struct PendingValidatorChange: Hashable, Sendable, CanonicalCodable {
    /// First height the changed set signs: the including block's height + 2.
    package var effectiveHeight: UInt64
    /// The changes, sorted by key.
    package var changes: [ValidatorChange]

    package func encode(to w: inout CanonicalWriter) { w.u64(effectiveHeight); w.array(changes) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        effectiveHeight = try r.u64("PendingValidatorChange.effectiveHeight")
        changes = try r.array(max: LedgerLimits.maxValidatorChanges, "PendingValidatorChange.changes")
    }
}
