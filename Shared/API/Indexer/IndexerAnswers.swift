import CityEncoding
import CityLedger
import CityMerkle

/// A record's current value at the height of `at`: the state entry (or nil: never written) with its
/// state proof against `at`'s state root, and the transaction that wrote the current version with
/// its inclusion proof (restricted payloads stay sealed: only their recipients can open them).
///
/// Encoding: CertifiedHeader at, optional<RecordEntry>, StateProof, optional<ProvenTransaction> current.
@MemberwiseInit
package struct RecordAnswer: Hashable, Sendable, CanonicalCodable {
    package var at: CertifiedHeader
    package var entry: RecordEntry?
    package var proof: StateProof
    package var current: ProvenTransaction?

    /// The payload of the current version (nil when never written, deleted or erased).
    package var payload: [UInt8]? {
        guard let entry, !entry.deleted, case .putRecord? = current?.transaction.body.operation else { return nil }
        return current?.transaction.payloadBytes
    }

    /// Throws unless this is the certified current value of `dataset`/`subject`.
    package func verify(dataset: DatasetID, subject: SubjectKey, validatorSet: some ValidatorSetSource) throws(ProofFailure) {
        try at.verify(validatorSet: validatorSet)
        guard LedgerState.verifyRecord(dataset: dataset, subject: subject, entry: entry, proof: proof, stateRoot: at.header.stateRoot) else {
            throw ProofFailure(entry == nil
                ? "the state proof does not show \(dataset)/\(subject) absent under the state root of block \(at.height)"
                : "the state proof does not show this entry for \(dataset)/\(subject) under the state root of block \(at.height)")
        }
        guard let entry else {
            guard current == nil else { throw ProofFailure("the answer proves the record absent but carries a transaction for it") }
            return
        }
        guard let current else { throw ProofFailure("the answer proves version \(entry.version) but carries no transaction for it") }
        guard current.transaction.id == entry.transactionID, current.height == entry.height else {
            throw ProofFailure("the transaction carried (\(current.transaction.id) at \(current.height)) is not the one the state names (\(entry.transactionID) at \(entry.height))")
        }
        do { try current.verify(validatorSet: validatorSet) } catch where error.beforeTrustedHeight != nil {
            // Written before the block the reader trusts by hash: the state proof under `at` names
            // this transaction's id, and the id is the hash of its body, so the body is proven
            // without the older block's certificate; its place is checked against its header.
            try current.verifyInclusion()
        }
        try ChangesAnswer.checkTouches(current, dataset: dataset, subject: subject)
    }

    package func encode(to w: inout CanonicalWriter) {
        w.encode(at); w.optional(entry); w.encode(proof); w.optional(current)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        at = try r.decode()
        entry = try r.optional("RecordAnswer.entry")
        proof = try r.decode()
        current = try r.optional("RecordAnswer.current")
    }
}

/// Record versions in chain order, each proven in its certified block, as of the height of `at`;
/// `more` is true when the limit cut the answer short (ask again after the last item).
///
/// Encoding: CertifiedHeader at, array<ProvenTransaction> (≤ 500), bool more.
@MemberwiseInit
package struct ChangesAnswer: Hashable, Sendable, CanonicalCodable {
    package var at: CertifiedHeader
    package var items: [ProvenTransaction]
    package var more: Bool

    /// Throws unless every item is proven, concerns `dataset` (and `subject` when given), is at or
    /// below `at`, and the items are in strict chain order.
    package func verify(dataset: DatasetID, subject: SubjectKey? = nil, validatorSet: some ValidatorSetSource) throws(ProofFailure) {
        try at.verify(validatorSet: validatorSet)
        var last: ChainCursor?
        for item in items {
            try item.verify(validatorSet: validatorSet)
            guard item.height <= at.height else {
                throw ProofFailure("item \(item.cursor) is above the answer's height \(at.height)")
            }
            if let last, !(last < item.cursor) { throw ProofFailure("items are not in chain order at \(item.cursor)") }
            last = item.cursor
            try Self.checkTouches(item, dataset: dataset, subject: subject)
        }
    }

    /// Throws unless `item` puts, deletes or erases a record of `dataset` (and `subject` when given).
    static func checkTouches(_ item: ProvenTransaction, dataset: DatasetID, subject: SubjectKey?) throws(ProofFailure) {
        let (d, s): (DatasetID, SubjectKey)
        switch item.transaction.body.operation {
        case let .putRecord(dd, ss, _): (d, s) = (dd, ss)
        case let .deleteRecord(dd, ss, _), let .eraseRecord(dd, ss, _): (d, s) = (dd, ss)
        default: throw ProofFailure("transaction \(item.transaction.id) is a \(item.transaction.body.operation.name), not a record change")
        }
        guard d == dataset, subject.map({ $0 == s }) ?? true else {
            throw ProofFailure("transaction \(item.transaction.id) changes \(d)/\(s), not what was asked")
        }
    }

    package func encode(to w: inout CanonicalWriter) { w.encode(at); w.array(items); w.bool(more) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        at = try r.decode()
        items = try r.array(max: Int(IndexerAPI.maxItemsPerAnswer), "ChangesAnswer.items")
        more = try r.bool("ChangesAnswer.more")
    }
}

/// One transaction, proven in its certified block, as of the height of `at`.
///
/// Encoding: CertifiedHeader at, ProvenTransaction.
@MemberwiseInit
package struct TransactionAnswer: Hashable, Sendable, CanonicalCodable {
    package var at: CertifiedHeader
    package var item: ProvenTransaction

    /// Throws unless `item` is transaction `id`, proven at or below `at`.
    package func verify(id: TransactionID, validatorSet: some ValidatorSetSource) throws(ProofFailure) {
        try at.verify(validatorSet: validatorSet)
        try item.verify(validatorSet: validatorSet)
        guard item.transaction.id == id else { throw ProofFailure("asked for \(id) but the answer proves \(item.transaction.id)") }
        guard item.height <= at.height else { throw ProofFailure("the transaction's block \(item.height) is above the answer's height \(at.height)") }
    }

    package func encode(to w: inout CanonicalWriter) { w.encode(at); w.encode(item) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        at = try r.decode()
        item = try r.decode()
    }
}

/// The indexer's position.
///
/// Encoding: u64 indexedHeight, Hash32 indexedHash, u64 provenHeight, u64 chainHeight, string source (≤ 256 bytes).
@MemberwiseInit
package struct IndexerStatus: Hashable, Sendable, CanonicalCodable {
    /// Last block written to PostgreSQL.
    package var indexedHeight: UInt64
    /// Its hash.
    package var indexedHash: Hash32
    /// Height answers reflect (the state proofs' height; ≤ indexedHeight).
    package var provenHeight: UInt64
    /// Latest height the validator being followed reported.
    package var chainHeight: UInt64
    /// The validator being followed (host:port), empty when none.
    package var source: String

    /// Blocks the index is behind the chain.
    package var lag: UInt64 { chainHeight > indexedHeight ? chainHeight - indexedHeight : 0 }

    package func encode(to w: inout CanonicalWriter) {
        w.u64(indexedHeight); w.encode(indexedHash); w.u64(provenHeight); w.u64(chainHeight); w.string(source)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        indexedHeight = try r.u64("IndexerStatus.indexedHeight")
        indexedHash = try r.decode()
        provenHeight = try r.u64("IndexerStatus.provenHeight")
        chainHeight = try r.u64("IndexerStatus.chainHeight")
        source = try r.string(max: 256, "IndexerStatus.source")
    }
}
