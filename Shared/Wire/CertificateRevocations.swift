import Logging
import NIOCore
import Synchronization

/// The certificates revoked on chain (the ledger's `revokeCertificate`), as this service learned
/// them from the blocks it follows. The wire server refuses a revoked certificate at the handshake
/// (error frame `forbidden`, then close) and ends the connections it already holds: a revocation
/// takes effect on a service within the block that carries it, as soon as the service has it.
/// Fingerprints are SHA-256 of the certificate's DER bytes, hex (`PeerIdentity.fingerprint`).
package final class CertificateRevocations: Sendable {
    private struct State {
        /// Fingerprint (hex) → the height that revoked it.
        var revoked: [String: UInt64] = [:]
        /// Open connections by fingerprint: how to end each.
        var open: [String: [UInt64: @Sendable (WireError) -> Void]] = [:]
        var nextToken: UInt64 = 0
    }

    private let state = Mutex(State())

    package init() {}

    /// The height that revoked `fingerprint`, if it is revoked.
    package func revokedAt(_ fingerprint: String) -> UInt64? { state.withLock { $0.revoked[fingerprint] } }

    /// Revoked certificates known so far.
    package var count: Int { state.withLock { $0.revoked.count } }

    /// Records revocations (fingerprint hex, height) and ends every open connection of each.
    package func revoke(_ revocations: [(fingerprint: String, height: UInt64)]) {
        guard !revocations.isEmpty else { return }
        let closers = state.withLock { s -> [(@Sendable (WireError) -> Void, WireError)] in
            var closers: [(@Sendable (WireError) -> Void, WireError)] = []
            for r in revocations where s.revoked[r.fingerprint] == nil {
                s.revoked[r.fingerprint] = r.height
                for (_, close) in s.open.removeValue(forKey: r.fingerprint) ?? [:] {
                    closers.append((close, Self.refusal(r.fingerprint, height: r.height)))
                }
            }
            return closers
        }
        for (close, error) in closers { close(error) }
    }

    /// The refusal a revoked certificate gets.
    package static func refusal(_ fingerprint: String, height: UInt64) -> WireError {
        WireError(.forbidden, "certificate \(fingerprint.prefix(16))… was revoked on chain at height \(height) (revokeCertificate); "
                  + "ask the city CA for a new certificate")
    }

    /// Registers an open connection of `fingerprint` and how to end it; nil (nothing registered)
    /// when the certificate is revoked already, with the refusal to answer.
    func open(_ fingerprint: String, close: @escaping @Sendable (WireError) -> Void) -> Result<UInt64, WireError> {
        state.withLock { s in
            if let h = s.revoked[fingerprint] { return .failure(Self.refusal(fingerprint, height: h)) }
            s.nextToken += 1
            s.open[fingerprint, default: [:]][s.nextToken] = close
            return .success(s.nextToken)
        }
    }

    /// The connection registered under `token` closed.
    func closed(_ fingerprint: String, token: UInt64) {
        state.withLock { s in
            s.open[fingerprint]?[token] = nil
            if s.open[fingerprint]?.isEmpty == true { s.open[fingerprint] = nil }
        }
    }
}
