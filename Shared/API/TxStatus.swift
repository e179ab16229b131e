import CityEncoding
import CityLedger

/// Where a transaction stands at one validator.
///
/// Encoding: u8 tag, then 0 unknown | 1 pending | 2 `TxCommit` | 3 `Rejection`.
package enum TxStatus: Hashable, Sendable, CanonicalCodable {
    /// Not in the mempool and not among the commits this validator remembers.
    case unknown
    /// In the mempool, waiting for a block.
    case pending
    /// Committed (final): where.
    case committed(TxCommit)
    /// Refused by the ledger rules; resubmitting the same transaction will not help.
    case rejected(Rejection)

    package func encode(to w: inout CanonicalWriter) {
        switch self {
        case .unknown: w.u8(0)
        case .pending: w.u8(1)
        case .committed(let c): w.u8(2); w.encode(c)
        case .rejected(let r): w.u8(3); w.encode(r)
        }
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let tag = try r.u8("TxStatus")
        switch tag {
        case 0: self = .unknown
        case 1: self = .pending
        case 2: self = .committed(try r.decode())
        case 3: self = .rejected(try r.decode())
        default: throw .unknownTag("TxStatus", tag)
        }
    }
}

/// The place of a committed transaction: block height, position, block hash.
///
/// Encoding: u64 height, u32 index, Hash32 blockHash.
@MemberwiseInit
package struct TxCommit: Hashable, Sendable, CanonicalCodable {
    /// Height of the block holding it.
    package var height: UInt64
    /// Its position in the block.
    package var index: UInt32
    /// The block's header hash.
    package var blockHash: Hash32

    package func encode(to w: inout CanonicalWriter) {
        w.u64(height); w.u32(index); w.encode(blockHash)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        height = try r.u64("TxCommit.height")
        index = try r.u32("TxCommit.index")
        guard index < LedgerLimits.maxTransactionsPerBlock else {
            throw CodecError(.invalidValue, field: "TxCommit.index", "\(index) is not below \(LedgerLimits.maxTransactionsPerBlock)")
        }
        blockHash = try r.decode()
    }
}

/// Asks for one transaction's status. Encoding: TransactionID.
@MemberwiseInit
package struct TxStatusRequest: Hashable, Sendable, CanonicalCodable {
    /// The transaction's id (hash of its signed body).
    package var id: TransactionID

    package func encode(to w: inout CanonicalWriter) { w.encode(id) }

    package init(from r: inout CanonicalReader) throws(CodecError) { id = try r.decode() }
}

/// The answer to a submission: the transaction's id and where it stands.
///
/// Encoding: TransactionID, TxStatus.
@MemberwiseInit
package struct SubmitResponse: Hashable, Sendable, CanonicalCodable {
    /// The id (hash of the signed body): the same for every resubmission.
    package var id: TransactionID
    /// Pending, committed, or rejected.
    package var status: TxStatus

    package func encode(to w: inout CanonicalWriter) { w.encode(id); w.encode(status) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        id = try r.decode()
        status = try r.decode()
    }
}
