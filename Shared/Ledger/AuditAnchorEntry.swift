import CityEncoding

/// State entry `auditAnchor`: an anchored batch of audit events. (`auditHead` holds a bare u64:
/// the next sequence the agency must anchor.)
package struct AuditAnchorEntry: Hashable, Sendable, CanonicalCodable {
    /// First event sequence in the batch.
    package var firstSequence: UInt64
    /// Last event sequence in the batch.
    package var lastSequence: UInt64
    /// Number of events.
    package var recordCount: UInt64
    /// Merkle root over the batch's events.
    package var merkleRoot: Hash32
    /// Height it was anchored at.
    package var height: UInt64
    /// The anchoring transaction.
    package var transactionID: TransactionID

    /// An entry from its parts.
    package init(firstSequence: UInt64, lastSequence: UInt64, recordCount: UInt64, merkleRoot: Hash32, height: UInt64,
                 transactionID: TransactionID) {
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.recordCount = recordCount
        self.merkleRoot = merkleRoot
        self.height = height
        self.transactionID = transactionID
    }

    package func encode(to w: inout CanonicalWriter) {
        w.u64(firstSequence); w.u64(lastSequence); w.u64(recordCount); w.encode(merkleRoot); w.u64(height); w.encode(transactionID)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        firstSequence = try r.u64("AuditAnchorEntry.firstSequence")
        lastSequence = try r.u64("AuditAnchorEntry.lastSequence")
        recordCount = try r.u64("AuditAnchorEntry.recordCount")
        merkleRoot = try Hash32(from: &r)
        height = try r.u64("AuditAnchorEntry.height")
        transactionID = try TransactionID(from: &r)
    }
}
