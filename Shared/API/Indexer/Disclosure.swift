import CityEncoding
import CityLedger
import CityMerkle

/// One read of internal or restricted data, as the indexer records it in the audit trail. Batches of
/// them, in sequence order, are anchored on chain: `MerkleTree.root` over their canonical bytes in an
/// `anchorAuditBatch` transaction of the indexer's agency.
///
/// Encoding: u64 sequence, AgencyID reader, DatasetID, optional<SubjectKey> (none: a dataset-wide
/// read that returned nothing), u64 timeMillis, string purpose (≤ 256 bytes), u16 queryKind, u64 height.
package struct DisclosureRecord: Hashable, Sendable, CanonicalCodable {
    /// Position in the indexer agency's audit sequence.
    package var sequence: UInt64
    /// The agency that read.
    package var reader: AgencyID
    package var dataset: DatasetID
    package var subject: SubjectKey?
    /// Wall-clock time of the read, milliseconds since the Unix epoch.
    package var timeMillis: UInt64
    /// The purpose the reader stated.
    package var purpose: String
    /// The message kind of the query (`IndexerAPI.record` …).
    package var queryKind: UInt16
    /// The height the answer reflected.
    package var height: UInt64

    package init(sequence: UInt64, reader: AgencyID, dataset: DatasetID, subject: SubjectKey?, timeMillis: UInt64,
                 purpose: String, queryKind: UInt16, height: UInt64) {
        self.sequence = sequence
        self.reader = reader
        self.dataset = dataset
        self.subject = subject
        self.timeMillis = timeMillis
        self.purpose = purpose
        self.queryKind = queryKind
        self.height = height
    }

    package func encode(to w: inout CanonicalWriter) {
        w.u64(sequence); w.encode(reader); w.encode(dataset); w.optional(subject); w.u64(timeMillis); w.string(purpose)
        w.u16(queryKind); w.u64(height)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        sequence = try r.u64("DisclosureRecord.sequence")
        reader = try r.decode()
        dataset = try r.decode()
        subject = try r.optional("DisclosureRecord.subject")
        timeMillis = try r.u64("DisclosureRecord.timeMillis")
        purpose = try r.string(max: IndexerAPI.maxPurposeBytes, "DisclosureRecord.purpose")
        queryKind = try r.u16("DisclosureRecord.queryKind")
        height = try r.u64("DisclosureRecord.height")
    }
}

/// Proof that a disclosure record is in an anchored batch: the batch's state entry (proven under the
/// answer's state root) and the record's path to the batch's Merkle root.
///
/// Encoding: AuditAnchorEntry, InclusionProof, StateProof.
@MemberwiseInit
package struct AnchorProof: Hashable, Sendable, CanonicalCodable {
    package var entry: AuditAnchorEntry
    package var inclusion: InclusionProof
    package var stateProof: StateProof

    package func encode(to w: inout CanonicalWriter) { w.encode(entry); w.encode(inclusion); w.encode(stateProof) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        entry = try r.decode()
        inclusion = try r.decode()
        stateProof = try r.decode()
    }
}

/// A disclosure record and, once its batch is anchored on chain, the proof of it.
///
/// Encoding: DisclosureRecord, optional<AnchorProof>.
@MemberwiseInit
package struct AuditItem: Hashable, Sendable, CanonicalCodable {
    package var record: DisclosureRecord
    package var anchor: AnchorProof?

    package func encode(to w: inout CanonicalWriter) { w.encode(record); w.optional(anchor) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        record = try r.decode()
        anchor = try r.optional("AuditItem.anchor")
    }
}

/// The disclosure records of a subject in sequence order, as of the height of `at`; anchored ones
/// carry proofs against `at`'s state root under `anchoringAgency`'s anchors.
///
/// Encoding: CertifiedHeader at, AgencyID anchoringAgency, array<AuditItem> (≤ 500), bool more.
@MemberwiseInit
package struct AuditAnswer: Hashable, Sendable, CanonicalCodable {
    package var at: CertifiedHeader
    package var anchoringAgency: AgencyID
    package var items: [AuditItem]
    package var more: Bool

    /// Throws unless every anchored item is in its anchored batch and the batch is in the state of `at`.
    /// Returns how many items were anchored (the rest are recorded but not yet anchored).
    @discardableResult
    package func verify(dataset: DatasetID, subject: SubjectKey, validatorSet: some ValidatorSetSource) throws(ProofFailure) -> Int {
        try at.verify(validatorSet: validatorSet)
        var anchored = 0
        for item in items {
            guard item.record.dataset == dataset, item.record.subject == subject else {
                throw ProofFailure("disclosure \(item.record.sequence) is about another subject")
            }
            guard let a = item.anchor else { continue }
            let e = a.entry
            guard (e.firstSequence...max(e.firstSequence, e.lastSequence)).contains(item.record.sequence) else {
                throw ProofFailure("disclosure \(item.record.sequence) is outside its batch \(e.firstSequence)...\(e.lastSequence)")
            }
            guard a.inclusion.leafCount == e.recordCount, a.inclusion.verify(leaf: item.record.canonicalBytes, root: e.merkleRoot) else {
                throw ProofFailure("disclosure \(item.record.sequence) does not hash to its batch's anchored root: the trail was edited")
            }
            guard LedgerState.verify(.auditAnchor(anchoringAgency, firstSequence: e.firstSequence), entry: e, proof: a.stateProof,
                                     stateRoot: at.header.stateRoot) else {
                throw ProofFailure("batch \(e.firstSequence)...\(e.lastSequence) is not anchored on chain under the state root of block \(at.height)")
            }
            anchored += 1
        }
        return anchored
    }

    package func encode(to w: inout CanonicalWriter) { w.encode(at); w.encode(anchoringAgency); w.array(items); w.bool(more) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        at = try r.decode()
        anchoringAgency = try r.decode()
        items = try r.array(max: Int(IndexerAPI.maxItemsPerAnswer), "AuditAnswer.items")
        more = try r.bool("AuditAnswer.more")
    }
}
