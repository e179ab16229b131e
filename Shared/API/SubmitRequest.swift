import CityEncoding
import CityLedger

/// A transaction to add to the mempool; with `waitMillis > 0` the answer comes once it is
/// committed (or when the wait ends, still pending).
///
/// Encoding: SignedTransaction, u32 waitMillis (≤ `ValidatorAPI.maxSubmitWaitMillis`).
@MemberwiseInit
package struct SubmitRequest: Hashable, Sendable, CanonicalCodable {
    /// The signed transaction.
    package var transaction: SignedTransaction
    /// How long to wait for the commit before answering, in milliseconds (0: answer on admission).
    package var waitMillis: UInt32 = 0

    package func encode(to w: inout CanonicalWriter) {
        w.encode(transaction)
        w.u32(waitMillis)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        transaction = try r.decode()
        waitMillis = try r.u32("SubmitRequest.waitMillis")
        guard waitMillis <= ValidatorAPI.maxSubmitWaitMillis else {
            throw CodecError(.invalidValue, field: "SubmitRequest.waitMillis",
                             "\(waitMillis) ms is over the limit of \(ValidatorAPI.maxSubmitWaitMillis) ms")
        }
    }
}
