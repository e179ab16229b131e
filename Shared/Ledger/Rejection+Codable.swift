import CityEncoding

/// Canonical encoding (docs/protocol/ledger.md, "Rejections and outcomes"): u16 `code`, then the
/// fields the case carries, in declaration order, each in its own canonical form. Counts (`Int`)
/// are u64; free-text details are strings of at most `LedgerLimits.maxRejectionDetailBytes`
/// (longer ones are cut at a character boundary when encoded, so a receiver can always decode them).
/// Every value therefore has one encoding, and decoding gives back the same case and fields.
extension Rejection: CanonicalCodable {
    package func encode(to w: inout CanonicalWriter) {
        w.u16(code)
        switch self {
        case .malformed(let d), .signerMismatch(let d), .payloadNotSealed(let d), .invalidValidatorChange(let d),
             .invalidAuditBatch(let d), .invalidEvidence(let d), .invalidKeyShare(let d), .payloadMissing(let d):
            w.string(Self.clipped(d))
        case let .tooLarge(bytes, max), let .tooMuchEvidence(bytes, max): w.u64(UInt64(clamping: bytes)); w.u64(UInt64(clamping: max))
        case let .wrongChain(expected, got): w.string(expected); w.string(got)
        case let .expired(e, h), let .lifetimeTooLong(e, h), let .grantExpiryInPast(e, h), let .auditSequenceGap(e, h),
             let .evidenceTooOld(e, h), let .evidenceTooNew(e, h):
            w.u64(e); w.u64(h)
        case .replayed(let id): w.encode(id)
        case .unknownAgency(let a), .notAdmin(let a), .agencyExists(let a), .tooManyKeys(let a), .unknownWriter(let a):
            w.encode(a)
        case .unknownKey(let s), .badSignature(let s): w.encode(s)
        case let .revokedKey(s, h): w.encode(s); w.u64(h)
        case let .adminQuorumNotMet(have, need): w.u64(UInt64(clamping: have)); w.u64(UInt64(clamping: need))
        case .unknownDataset(let d), .datasetExists(let d): w.encode(d)
        case let .notDatasetWriter(a, d), let .notDatasetOwner(a, d): w.encode(a); w.encode(d)
        case let .payloadHashMismatch(e, g): w.encode(e); w.encode(g)
        case let .recordNotFound(d, s), let .recordAlreadyErased(d, s): w.encode(d); w.encode(s)
        case let .grantNotFound(d, a): w.encode(d); w.encode(a)
        case let .keyExists(a, k), let .keyAlreadyRevoked(a, k): w.encode(a); w.encode(k)
        case .badEvidenceSignature(let v), .evidenceOffenderNotValidator(let v): w.encode(v)
        case let .evidenceAlreadyRecorded(id, h): w.encode(id); w.u64(h)
        case .duplicateEvidence(let id): w.encode(id)
        case let .certificateAlreadyRevoked(f, h): w.encode(f); w.u64(h)
        case .tooManyRevokedCertificates: break
        }
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let code = try r.u16("Rejection.code")
        switch code {
        case 1: self = .malformed(try Self.detail(&r))
        case 2: self = .tooLarge(bytes: try Self.count(&r), max: try Self.count(&r))
        case 3: self = .wrongChain(expected: try IdentifierRules.readChainID(&r, field: "Rejection.expected"),
                                   got: try IdentifierRules.readChainID(&r, field: "Rejection.got"))
        case 4: self = .expired(expiresAtHeight: try r.u64("Rejection.expiresAtHeight"), height: try r.u64("Rejection.height"))
        case 5: self = .lifetimeTooLong(expiresAtHeight: try r.u64("Rejection.expiresAtHeight"), maxHeight: try r.u64("Rejection.maxHeight"))
        case 6: self = .replayed(try r.decode())
        case 7: self = .unknownAgency(try r.decode())
        case 8: self = .unknownKey(try r.decode())
        case 9: self = .revokedKey(try r.decode(), revokedAtHeight: try r.u64("Rejection.revokedAtHeight"))
        case 10: self = .badSignature(try r.decode())
        case 11: self = .signerMismatch(try Self.detail(&r))
        case 12: self = .notAdmin(try r.decode())
        case 13: self = .adminQuorumNotMet(have: try Self.count(&r), need: try Self.count(&r))
        case 14: self = .unknownDataset(try r.decode())
        case 15: self = .datasetExists(try r.decode())
        case 16: self = .notDatasetWriter(try r.decode(), try r.decode())
        case 17: self = .notDatasetOwner(try r.decode(), try r.decode())
        case 18: self = .payloadHashMismatch(expected: try r.decode(), got: try r.decode())
        case 19: self = .payloadNotSealed(try Self.detail(&r))
        case 20: self = .recordNotFound(try r.decode(), try r.decode())
        case 21: self = .grantNotFound(try r.decode(), try r.decode())
        case 22: self = .grantExpiryInPast(expiresAtHeight: try r.u64("Rejection.expiresAtHeight"), height: try r.u64("Rejection.height"))
        case 23: self = .agencyExists(try r.decode())
        case 24: self = .keyExists(try r.decode(), try r.decode())
        case 25: self = .tooManyKeys(try r.decode())
        case 26: self = .keyAlreadyRevoked(try r.decode(), try r.decode())
        case 27: self = .invalidValidatorChange(try Self.detail(&r))
        case 28: self = .auditSequenceGap(expected: try r.u64("Rejection.expected"), got: try r.u64("Rejection.got"))
        case 29: self = .invalidAuditBatch(try Self.detail(&r))
        case 30: self = .unknownWriter(try r.decode())
        case 31: self = .invalidEvidence(try Self.detail(&r))
        case 32: self = .badEvidenceSignature(try r.decode())
        case 33: self = .evidenceOffenderNotValidator(try r.decode())
        case 34: self = .evidenceTooOld(height: try r.u64("Rejection.height"), minHeight: try r.u64("Rejection.minHeight"))
        case 35: self = .evidenceTooNew(height: try r.u64("Rejection.height"), maxHeight: try r.u64("Rejection.maxHeight"))
        case 36: self = .evidenceAlreadyRecorded(try r.decode(), includedAtHeight: try r.u64("Rejection.includedAtHeight"))
        case 37: self = .duplicateEvidence(try r.decode())
        case 38: self = .tooMuchEvidence(count: try Self.count(&r), max: try Self.count(&r))
        case 39: self = .certificateAlreadyRevoked(try r.decode(), atHeight: try r.u64("Rejection.atHeight"))
        case 40: self = .tooManyRevokedCertificates
        case 41: self = .invalidKeyShare(try Self.detail(&r))
        case 42: self = .payloadMissing(try Self.detail(&r))
        case 43: self = .recordAlreadyErased(try r.decode(), try r.decode())
        default: throw .unknownTag("Rejection.code", code)
        }
    }

    /// `detail` cut to at most `maxRejectionDetailBytes` bytes of UTF-8, at a character boundary.
    static func clipped(_ detail: String) -> String {
        guard detail.utf8.count > LedgerLimits.maxRejectionDetailBytes else { return detail }
        var out = ""
        var used = 0
        for c in detail {
            let n = c.utf8.count
            guard used + n <= LedgerLimits.maxRejectionDetailBytes else { break }
            out.append(c)
            used += n
        }
        return out
    }

    private static func detail(_ r: inout CanonicalReader) throws(CodecError) -> String {
        try r.string(max: LedgerLimits.maxRejectionDetailBytes, "Rejection.detail")
    }

    /// A count written as u64; one above `Int.max` cannot be a count.
    private static func count(_ r: inout CanonicalReader) throws(CodecError) -> Int {
        let v = try r.u64("Rejection.count")
        guard let n = Int(exactly: v) else {
            throw CodecError(.invalidValue, field: "Rejection.count", "\(v) is too large for a count; counts are at most \(Int.max)")
        }
        return n
    }
}
