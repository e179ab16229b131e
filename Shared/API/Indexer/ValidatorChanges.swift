import CityEncoding
import CityWire
import CityLedger

extension IndexerAPI {
    /// The validator-set changes after a height, each proven in its certified block, so that a
    /// client follows the sets from its trust anchor (`TrustedValidatorSets`):
    /// `ValidatorChangesQuery` → `ValidatorChangesAnswer`. Any agency; gateways relay it.
    package static let validatorChanges = MessageKind(.indexer, 0x0B)
}

/// Which validator-set changes to send: those in blocks after `after`. With `anchor`, `after` is
/// a height the client trusts by its block hash (`--trust-height/--trust-hash`): the answer also
/// carries that block's header and the ones before it that changes still pending at it were
/// committed in, the set that signed it, and those pending changes.
///
/// Encoding: u64 after, bool anchor.
@MemberwiseInit
package struct ValidatorChangesQuery: Hashable, Sendable, CanonicalCodable {
    package var after: UInt64
    package var anchor: Bool = false

    package func encode(to w: inout CanonicalWriter) { w.u64(after); w.bool(anchor) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        after = try r.u64("ValidatorChangesQuery.after")
        anchor = try r.bool("ValidatorChangesQuery.anchor")
    }
}

/// Every `changeValidatorSet` transaction in blocks after the query's height (with `anchor`: after
/// `after - 2`, the changes still pending at `after`), in chain order, each with its inclusion
/// proof and certified header, as of the certified header `at`; `more` when the limit (500) cut it.
/// With `anchor`: `anchorHeaders` are the certified headers of blocks `max(1, after - 1)…after`
/// and `anchorSet` the validator set that signed block `after`.
///
/// Encoding: CertifiedHeader at, optional ValidatorSet anchorSet, array<CertifiedHeader>
/// anchorHeaders (≤ 2), array<ProvenTransaction> items (≤ 500), bool more.
@MemberwiseInit
package struct ValidatorChangesAnswer: Hashable, Sendable, CanonicalCodable {
    package var at: CertifiedHeader
    package var anchorSet: ValidatorSet? = nil
    package var anchorHeaders: [CertifiedHeader] = []
    package var items: [ProvenTransaction]
    package var more: Bool

    package func encode(to w: inout CanonicalWriter) {
        w.encode(at); w.optional(anchorSet); w.array(anchorHeaders); w.array(items); w.bool(more)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        at = try r.decode()
        anchorSet = try r.optional("ValidatorChangesAnswer.anchorSet")
        anchorHeaders = try r.array(max: Int(LedgerLimits.validatorChangeDelayHeights), "ValidatorChangesAnswer.anchorHeaders")
        items = try r.array(max: Int(IndexerAPI.maxItemsPerAnswer), "ValidatorChangesAnswer.items")
        more = try r.bool("ValidatorChangesAnswer.more")
    }
}
