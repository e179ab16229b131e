import CityEncoding

/// Canonical encoding (docs/protocol/ledger.md, "Rejections and outcomes"): u8 tag (1–13 in
/// declaration order), then the case's fields in order.
extension TxEffect: CanonicalCodable {
    /// The wire tag of this case.
    package var tag: UInt8 {
        switch self {
        case .datasetDefined: 1
        case .recordPut: 2
        case .recordDeleted: 3
        case .accessGranted: 4
        case .accessRevoked: 5
        case .agencyRegistered: 6
        case .keyAdded: 7
        case .keyRevoked: 8
        case .validatorChangeScheduled: 9
        case .auditAnchored: 10
        case .certificateRevoked: 11
        case .recordKeysShared: 12
        case .recordErased: 13
        }
    }

    package func encode(to w: inout CanonicalWriter) {
        w.u8(tag)
        switch self {
        case .datasetDefined(let d): w.encode(d)
        case let .recordPut(d, s, v), let .recordDeleted(d, s, v), let .recordErased(d, s, v): w.encode(d); w.encode(s); w.u64(v)
        case let .accessGranted(d, a, g): w.encode(d); w.encode(a); w.encode(g)
        case let .accessRevoked(d, a): w.encode(d); w.encode(a)
        case .agencyRegistered(let a): w.encode(a)
        case let .keyAdded(a, k): w.encode(a); w.encode(k)
        case let .keyRevoked(a, k): w.encode(a); w.encode(k)
        case .validatorChangeScheduled(let p): w.encode(p)
        case let .auditAnchored(a, first, last): w.encode(a); w.u64(first); w.u64(last)
        case .certificateRevoked(let c): w.encode(c)
        case let .recordKeysShared(d, a, n): w.encode(d); w.encode(a); w.u32(n)
        }
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let tag = try r.u8("TxEffect.tag")
        switch tag {
        case 1: self = .datasetDefined(try r.decode())
        case 2: self = .recordPut(try r.decode(), try r.decode(), version: try r.u64("TxEffect.version"))
        case 3: self = .recordDeleted(try r.decode(), try r.decode(), version: try r.u64("TxEffect.version"))
        case 4: self = .accessGranted(try r.decode(), try r.decode(), try r.decode())
        case 5: self = .accessRevoked(try r.decode(), try r.decode())
        case 6: self = .agencyRegistered(try r.decode())
        case 7: self = .keyAdded(try r.decode(), try r.decode())
        case 8: self = .keyRevoked(try r.decode(), try r.decode())
        case 9: self = .validatorChangeScheduled(try r.decode())
        case 10: self = .auditAnchored(try r.decode(), firstSequence: try r.u64("TxEffect.firstSequence"),
                                       lastSequence: try r.u64("TxEffect.lastSequence"))
        case 11: self = .certificateRevoked(try r.decode())
        case 12: self = .recordKeysShared(try r.decode(), try r.decode(), shareCount: try r.u32("TxEffect.shareCount"))
        case 13: self = .recordErased(try r.decode(), try r.decode(), version: try r.u64("TxEffect.version"))
        default: throw .unknownTag("TxEffect.tag", tag)
        }
    }
}
