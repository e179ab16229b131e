import CityPKI
import CityTestSupport
import Foundation
import Synchronization
import Testing
@testable import CityWire

/// Certificates revoked on chain (issue 17 item 3) at the wire: a revoked certificate is refused at
/// the handshake with `forbidden`, and the connections it already holds (an open stream, as an
/// agency's feed) end with the same refusal; other certificates are served as before.
@Suite(.timeLimit(.minutes(2))) struct CertificateRevocationTests {
    static let ping = Frame(.ping, kind: .connection, requestID: 7).wireBytes

    @Test func aRevokedCertificateLosesItsOpenStreamAndCannotConnectAgain() async throws {
        let revocations = CertificateRevocations()
        try await withServer(pki: try TestPKI(), revocations: revocations) { server async throws in
            let agency = try server.pki.identity(.agency("parks-department"), "parks-department")
            let fingerprint = try PeerIdentity(certificate: agency.certificateChain[0]).fingerprint
            let client = try WireClient(tls: TLSSetup.client(agency), logger: testLogger)
            let refusedBefore = WireRefusals.count("revoked")
            // Revoked while its stream runs (as a block carrying revokeCertificate arrives).
            let ended = try await Self.streamEnd(client, server) { revocations.revoke([(fingerprint, 42)]) }
            #expect(ended?.code == .forbidden, "the open stream ended with the refusal: \(String(describing: ended))")
            #expect(ended?.message.contains("revoked on chain at height 42") == true)
            // A new connection with that certificate: refused after the handshake, then closed.
            let again = try await RawTLSClient.exchange(port: server.port, tls: TLSSetup.client(agency), chunks: [Self.ping], readSeconds: 30)
            #expect(again.errorCodes == [.forbidden])
            #expect(again.closedByServer)
            #expect(WireRefusals.count("revoked") >= refusedBefore + 2)
            #expect(revocations.revokedAt(fingerprint) == 42)
            // Another agency's certificate is served as before.
            try await withClient(server, role: .agency("hospital")) { other async throws in
                #expect(try await other.request(TestKinds.echo, [9]) == [9])
            }
        }
    }

    /// The other direction: a service's client does not use a server whose certificate is revoked,
    /// and closes its connection to one revoked while it is open.
    @Test func aClientDropsAServerWhoseCertificateIsRevoked() async throws {
        try await withServer(pki: try TestPKI()) { server async throws in
            let revocations = CertificateRevocations()
            let client = try WireClient(tls: try server.pki.client(.gateway), revocations: revocations, logger: testLogger)
            let validatorFingerprint = try await client.withConnection(host: "127.0.0.1", port: server.port, expecting: .validator) { c async throws in
                #expect(try await c.request(TestKinds.echo, [1]) == [1])
                return c.server.fingerprint
            }
            let ended = try await Self.streamEnd(client, server) { revocations.revoke([(validatorFingerprint, 8)]) }
            #expect(ended != nil, "the stream from the revoked server ended")
            await expectWireError(.forbidden, "presents a certificate revoked on chain") {
                _ = try await client.withConnection(host: "127.0.0.1", port: server.port, expecting: .validator) { c async throws in
                    try await c.request(TestKinds.echo, [2])
                }
            }
        }
    }

    /// Opens the endless test stream to `server`, calls `revoke` after its third item, and returns
    /// the error the stream ended with (nil if it never ended).
    static func streamEnd(_ client: WireClient, _ server: TestServer, revoke: @Sendable () -> Void) async throws -> WireError? {
        try await client.withConnection(host: "127.0.0.1", port: server.port, expecting: .validator) { c async throws in
            var seen = 0
            do {
                for try await _ in c.stream(TestKinds.forever, []) {
                    seen += 1
                    if seen == 3 { revoke() }
                    if seen > 100_000 { return nil }
                }
                return nil
            } catch let error as WireError { return error }
        }
    }

    @Test func revocationsAreKeptOnceAndClosedConnectionsAreForgotten() {
        let revocations = CertificateRevocations()
        let closed = ClosedLog()
        guard case .success(let token) = revocations.open("aa", close: { closed.record($0) }) else { Issue.record("refused"); return }
        revocations.closed("aa", token: token)
        revocations.revoke([("aa", 5)])
        #expect(closed.all.isEmpty, "a connection that closed before the revocation is not touched")
        revocations.revoke([("aa", 9)])
        #expect(revocations.revokedAt("aa") == 5, "the first revocation's height stays")
        guard case .failure(let refusal) = revocations.open("aa", close: { closed.record($0) }) else { Issue.record("admitted"); return }
        #expect(refusal.code == .forbidden && refusal.message.contains("height 5"))
        guard case .success = revocations.open("bb", close: { closed.record($0) }) else { Issue.record("refused bb"); return }
        revocations.revoke([("bb", 7)])
        #expect(closed.all.map(\.code) == [.forbidden])
        #expect(revocations.count == 2)
    }
}

/// Refusals handed to registered connections.
final class ClosedLog: Sendable {
    private let errors = Mutex<[WireError]>([])
    func record(_ e: WireError) { errors.withLock { $0.append(e) } }
    var all: [WireError] { errors.withLock { $0 } }
}
