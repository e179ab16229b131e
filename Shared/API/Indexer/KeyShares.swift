import CityEncoding
import CityLedger
import CityWire

extension IndexerAPI {
    /// Record keys shared with the reader (`shareRecordKeys` to it) in a dataset:
    /// `KeySharesQuery` → `ChangesAnswer` whose items are those transactions, proven.
    package static let keyShares = MessageKind(.indexer, 0x0D)
    /// Most `shareRecordKeys` transactions one key-shares answer carries (each up to 64 KiB).
    package static let maxKeyShareItems: UInt32 = 32
}

/// The `shareRecordKeys` transactions of `dataset` addressed to the reader, in chain order after
/// `after`: the content keys of records written before the reader's grant, re-wrapped by the owner.
///
/// Encoding: DatasetID, ChainCursor after, u32 limit (1…32), string purpose (≤ 256 bytes).
@MemberwiseInit
package struct KeySharesQuery: Hashable, Sendable, CanonicalCodable {
    package var dataset: DatasetID
    package var after: ChainCursor = .start
    package var limit: UInt32 = IndexerAPI.maxKeyShareItems
    package var purpose: String = ""

    package func encode(to w: inout CanonicalWriter) { w.encode(dataset); w.encode(after); w.u32(limit); w.string(purpose) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        dataset = try r.decode()
        after = try r.decode()
        limit = try r.u32("KeySharesQuery.limit")
        guard (1...IndexerAPI.maxKeyShareItems).contains(limit) else {
            throw CodecError(.invalidValue, field: "KeySharesQuery.limit", "\(limit) is not in 1...\(IndexerAPI.maxKeyShareItems)")
        }
        purpose = try r.string(max: IndexerAPI.maxPurposeBytes, "KeySharesQuery.purpose")
    }
}

extension ChangesAnswer {
    /// Throws unless every item is proven, at or below `at`, in strict chain order, and a
    /// `shareRecordKeys` of `dataset` to `grantee` (nil: to one grantee, whichever it is).
    package func verifyKeyShares(dataset: DatasetID, grantee: AgencyID?, validatorSet: some ValidatorSetSource) throws(ProofFailure) {
        var grantee = grantee
        try at.verify(validatorSet: validatorSet)
        var last: ChainCursor?
        for item in items {
            try item.verify(validatorSet: validatorSet)
            guard item.height <= at.height else { throw ProofFailure("item \(item.cursor) is above the answer's height \(at.height)") }
            if let last, !(last < item.cursor) { throw ProofFailure("items are not in chain order at \(item.cursor)") }
            last = item.cursor
            guard case let .shareRecordKeys(d, g, _) = item.transaction.body.operation, d == dataset, grantee.map({ $0 == g }) ?? true else {
                throw ProofFailure("transaction \(item.transaction.id) is not a shareRecordKeys of \(dataset) to \(grantee.map { "\($0)" } ?? "the reader")")
            }
            grantee = g
        }
    }

    /// The shares the items carry, by subject and version (the latest share wins).
    package var keyShares: [RecordKeyShare.Order: RecordKeyShare] {
        var out: [RecordKeyShare.Order: RecordKeyShare] = [:]
        for item in items {
            guard case let .shareRecordKeys(_, _, shares) = item.transaction.body.operation else { continue }
            for s in shares { out[s.order] = s }
        }
        return out
    }
}
