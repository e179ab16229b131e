import CityEncoding

/// State entry `record`: the current version of a record (history lives in the blocks).
package struct RecordEntry: Hashable, Sendable, CanonicalCodable {
    /// 1 for the first put, +1 for every put or delete after.
    package var version: UInt64
    /// SHA-256 of the current payload; `Hash32.zero` once deleted.
    package var payloadHash: Hash32
    /// Who wrote this version.
    package var writer: Signer
    /// Height of the writing transaction.
    package var height: UInt64
    /// The writing transaction.
    package var transactionID: TransactionID
    /// True when this version is a tombstone (deleted or erased).
    package var deleted: Bool
    /// True when this version is an erasure (`eraseRecord`): the payloads of every earlier version
    /// were dropped from blocks and indexes; `deleted` is true too.
    package var erased: Bool

    /// An entry from its parts.
    package init(version: UInt64, payloadHash: Hash32, writer: Signer, height: UInt64, transactionID: TransactionID,
                 deleted: Bool, erased: Bool = false) {
        self.version = version
        self.payloadHash = payloadHash
        self.writer = writer
        self.height = height
        self.transactionID = transactionID
        self.deleted = deleted || erased
        self.erased = erased
    }

    /// The last field: `u8` 0 live, 1 deleted, 2 erased.
    private var status: UInt8 { erased ? 2 : deleted ? 1 : 0 }

    package func encode(to w: inout CanonicalWriter) {
        w.u64(version); w.encode(payloadHash); w.encode(writer); w.u64(height); w.encode(transactionID); w.u8(status)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        version = try r.u64("RecordEntry.version")
        payloadHash = try Hash32(from: &r)
        writer = try Signer(from: &r)
        height = try r.u64("RecordEntry.height")
        transactionID = try TransactionID(from: &r)
        let status = try r.u8("RecordEntry.status")
        guard status <= 2 else { throw CodecError(.invalidValue, field: "RecordEntry.status", "\(status) is not 0 (live), 1 (deleted) or 2 (erased)") }
        deleted = status != 0
        erased = status == 2
    }
}
