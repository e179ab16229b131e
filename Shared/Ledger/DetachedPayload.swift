import CityEncoding

/// A putRecord's payload as it travels beside the signed body (docs/protocol/ledger.md,
/// "SignedTransaction"): the body commits to it by `payloadHash`, so it can be dropped (erased)
/// and the transaction's id, signatures and Merkle leaf still verify.
/// Encoded as `u8` 1 then `bytes` (present) or `u8` 2 alone (erased).
package enum DetachedPayload: Hashable, Sendable, CanonicalCodable {
    /// The payload's bytes (at most `LedgerLimits.maxPayloadBytes`).
    case present([UInt8])
    /// Dropped by an `eraseRecord`: only committed blocks carry this.
    case erased

    /// The bytes, or nil once erased.
    package var bytes: [UInt8]? {
        if case .present(let b) = self { b } else { nil }
    }

    /// The encoded length, without encoding.
    package var encodedSize: Int {
        switch self {
        case .present(let b): 1 + 4 + b.count
        case .erased: 1
        }
    }

    package func encode(to w: inout CanonicalWriter) {
        switch self {
        case .present(let b): w.u8(1); w.bytes(b)
        case .erased: w.u8(2)
        }
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let tag = try r.u8("DetachedPayload.tag")
        switch tag {
        case 1: self = .present(try r.bytes(max: LedgerLimits.maxPayloadBytes, "DetachedPayload.bytes"))
        case 2: self = .erased
        default: throw .unknownTag("DetachedPayload.tag", tag)
        }
    }
}
