import CityEncoding

/// The result of one transaction in a block.
///
/// Encoding (docs/protocol/ledger.md, "Rejections and outcomes"): TransactionID, u32 index
/// (below `maxTransactionsPerBlock`), then u8 0 and a `TxEffect` when applied, or u8 1 and a
/// `Rejection` when refused.
@MemberwiseInit
package struct TxOutcome: Hashable, Sendable, CanonicalCodable {
    /// The transaction's id.
    package var transactionID: TransactionID
    /// Its position in the block.
    package var index: Int
    /// What it changed, or why it was refused (a refused transaction changes nothing).
    package var result: Result<TxEffect, Rejection>

    package func encode(to w: inout CanonicalWriter) {
        precondition(index >= 0 && index < LedgerLimits.maxTransactionsPerBlock, "outcome index \(index) is not a block position")
        w.encode(transactionID)
        w.u32(UInt32(index))
        switch result {
        case .success(let effect): w.u8(0); w.encode(effect)
        case .failure(let rejection): w.u8(1); w.encode(rejection)
        }
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        transactionID = try r.decode()
        let i = try r.u32("TxOutcome.index")
        guard i < LedgerLimits.maxTransactionsPerBlock else {
            throw CodecError(.invalidValue, field: "TxOutcome.index",
                             "index \(i) is not below maxTransactionsPerBlock \(LedgerLimits.maxTransactionsPerBlock)")
        }
        index = Int(i)
        let tag = try r.u8("TxOutcome.result")
        switch tag {
        case 0: result = .success(try r.decode())
        case 1: result = .failure(try r.decode())
        default: throw .unknownTag("TxOutcome.result", tag)
        }
    }
}
