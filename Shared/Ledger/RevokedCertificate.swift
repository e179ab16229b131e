import CityEncoding

/// A TLS certificate revoked on chain (`revokeCertificate`): every service refuses it from the
/// block that revoked it on, at the handshake and on connections already open.
@MemberwiseInit
package struct RevokedCertificate: Hashable, Sendable, CanonicalCodable {
    /// SHA-256 of the certificate's DER bytes (what `citychain pki show` prints as its fingerprint).
    package var fingerprint: Hash32
    /// The height of the block that revoked it.
    package var revokedAtHeight: UInt64
    /// Why (for the operators and the audit; at most `LedgerLimits.maxReasonBytes`).
    package var reason: String

    package func encode(to w: inout CanonicalWriter) {
        w.encode(fingerprint)
        w.u64(revokedAtHeight)
        w.string(reason)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        fingerprint = try Hash32(from: &r)
        revokedAtHeight = try r.u64("RevokedCertificate.revokedAtHeight")
        reason = try r.string(max: LedgerLimits.maxReasonBytes, "RevokedCertificate.reason")
    }
}

/// Every certificate revoked on chain (`StateKey.revokedCertificates`), sorted by fingerprint: one
/// entry, so a service starting from a state reads the whole list at once and an answer can prove
/// it. Revocations are rare (a leaked or lost certificate), at most `LedgerLimits.maxRevokedCertificates`.
@MemberwiseInit
package struct RevokedCertificates: Hashable, Sendable, CanonicalCodable {
    package var entries: [RevokedCertificate]

    /// The entry of `fingerprint`, if it is revoked.
    package func entry(_ fingerprint: Hash32) -> RevokedCertificate? {
        entries.first { $0.fingerprint == fingerprint }
    }

    /// The list with `entry` in its place (by fingerprint).
    package func adding(_ entry: RevokedCertificate) -> RevokedCertificates {
        var list = entries.filter { $0.fingerprint != entry.fingerprint }
        list.append(entry)
        list.sort { $0.fingerprint < $1.fingerprint }
        return RevokedCertificates(entries: list)
    }

    package func encode(to w: inout CanonicalWriter) { w.array(entries) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        entries = try r.array(max: LedgerLimits.maxRevokedCertificates, "RevokedCertificates.entries")
        try LedgerOperation.requireIncreasing(entries.map(\.fingerprint), "RevokedCertificates.entries")
    }
}

extension Block {
    /// Whether a transaction of this block revokes a certificate (a service then refreshes its list).
    package var revokesCertificates: Bool {
        transactions.contains { if case .revokeCertificate = $0.body.operation { true } else { false } }
    }
}
