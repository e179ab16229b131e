import CityLedger
import CityWire

extension CertificateRevocations {
    /// Records the chain's list (`LedgerState.revokedCertificates`): each fingerprint from the
    /// height that revoked it; the connections those certificates hold end now.
    package func revoke(_ list: RevokedCertificates) {
        revoke(list.entries.map { ($0.fingerprint.hex, $0.revokedAtHeight) })
    }
}
