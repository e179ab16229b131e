import CityEncoding
import CityPKI
import Foundation
import NIOSSL
import Testing
@testable import CityWire

/// Refused handshakes, malformed and hostile input, timeouts, and isolation between connections.
@Suite(.timeLimit(.minutes(2))) struct WireMisbehaviourTests {
    static func bytes(_ hex: String) -> [UInt8] { Hex.decode(hex)! }
    static let ping = Frame(.ping, kind: .connection, requestID: 7).wireBytes

    /// A client with `tls` cannot get an answer: the server refuses it during the handshake with
    /// the TLS alert named `alert` (as BoringSSL spells it).
    func expectRefused(_ server: TestServer, tls: TLSConfiguration, alert: String) async throws {
        let client = try WireClient(tls: tls, logger: testLogger)
        let error = await #expect(throws: (any Error).self) {
            try await client.withConnection(host: "127.0.0.1", port: server.port, expecting: .validator) { connection async throws in
                try await connection.request(TestKinds.echo, [1], timeout: .seconds(5))
            }
        }
        #expect(error.map { "\($0)" }?.contains(alert) == true, "refused for another reason: \(String(describing: error))")
    }

    func clientConfiguration(trustRoots: [NIOSSLCertificate]) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv13
        tls.certificateVerification = .noHostnameVerification
        tls.trustRoots = .certificates(trustRoots)
        return tls
    }

    @Test func clientWithoutCertificateIsRefused() async throws {
        try await withServer(pki: try TestPKI()) { server async throws in
            try await expectRefused(server, tls: clientConfiguration(trustRoots: try server.pki.trustRoots),
                                alert: "CERTIFICATE_REQUIRED")
        }
    }

    @Test func clientFromAnotherCAIsRefused() async throws {
        try await withServer(pki: try TestPKI()) { server async throws in
            let stranger = try TestPKI().identity(.gateway, "stranger")
            let identity = TLSIdentity(certificateChain: stranger.certificateChain, privateKey: stranger.privateKey,
                                       trustRoots: try server.pki.trustRoots)
            try await expectRefused(server, tls: TLSSetup.client(identity), alert: "UNKNOWN_CA")
        }
    }

    @Test func clientWithExpiredCertificateIsRefused() async throws {
        try await withServer(pki: try TestPKI()) { server async throws in
            let expired = try server.pki.identity(.gateway, "expired", notValidBefore: Date().addingTimeInterval(-7200),
                                                  notValidAfter: Date().addingTimeInterval(-3600))
            try await expectRefused(server, tls: TLSSetup.client(expired), alert: "CERTIFICATE_EXPIRED")
        }
    }

    @Test func tls12OnlyClientIsRefused() async throws {
        try await withServer(pki: try TestPKI()) { server async throws in
            var tls = try server.pki.client(.gateway)
            tls.minimumTLSVersion = .tlsv12
            tls.maximumTLSVersion = .tlsv12
            try await expectRefused(server, tls: tls, alert: "PROTOCOL_VERSION")
        }
    }

    @Test func garbageAfterAValidFrameGetsATypedErrorAndClose() async throws {
        try await withServer(pki: try TestPKI()) { server async throws in
            let tls = try server.pki.client(.gateway)
            let http = { (port: Int, tls: TLSConfiguration, chunks: [[UInt8]], pause: Int, read: Double) in
                try await RawTLSClient.exchange(port: port, tls: tls, chunks: chunks, pauseMillis: pause, readSeconds: read)
            }
            let a = try await http(server.port, tls, [Self.ping + Array("GET / HTTP/1.1\r\n\r\n".utf8)], 0, 30)
            #expect(a.frames.first?.type == .pong)
            #expect(a.errorCodes == [.frameTooLarge])
            #expect(a.closedByServer)
            let b = try await http(server.port, tls, [Self.ping + Self.bytes("00000008 02 07 0000 00000007")], 0, 30)
            #expect(b.frames.first?.type == .pong)
            #expect(b.errorCodes == [.unsupportedVersion])
            #expect(b.closedByServer)
            let c = try await http(server.port, tls, [Self.bytes("00000003 010203")], 0, 30)
            #expect(c.errorCodes == [.badFrame])
            #expect(c.closedByServer)
        }
    }

    @Test func unknownFrameTypeAndKindKeepTheConnection() async throws {
        try await withServer(pki: try TestPKI()) { server async throws in
            let unknownType = Self.bytes("00000008 01 09 0101 00000005")
            let unknownKind = Frame(.request, kind: MessageKind(rawValue: 0x04ff), requestID: 6).wireBytes
            let exchange = try await RawTLSClient.exchange(port: server.port, tls: try server.pki.client(.gateway),
                                                           chunks: [unknownType, unknownKind, Self.ping], readSeconds: 1)
            #expect(exchange.errorCodes == [.badFrame, .unknownKind])
            #expect(exchange.frames.map(\.requestID) == [5, 6, 7])
            #expect(exchange.frames.last?.type == .pong)
            #expect(!exchange.closedByServer)
        }
    }

    @Test func oversizedLengthClosesBeforeAnyBodyArrives() async throws {
        try await withServer(pki: try TestPKI()) { server async throws in
            // Only a length field claiming 1 GiB; no body is ever sent, so an answer and a close prove the
            // server decided on the 4 bytes alone: a server waiting to buffer the body would send nothing
            // and the read would end by its timeout (closedByServer false). No wall-clock bound here: on a
            // loaded 2-core CI box the TLS handshake alone can take seconds.
            let exchange = try await RawTLSClient.exchange(port: server.port, tls: try server.pki.client(.gateway),
                                                           chunks: [[0x40, 0x00, 0x00, 0x00]], readSeconds: 60)
            #expect(exchange.errorCodes == [.frameTooLarge])
            #expect(exchange.closedByServer)
        }
    }

    @Test func misbehavingConnectionsDoNotDisturbOthers() async throws {
        try await withServer(pki: try TestPKI()) { server async throws in
            let tls = try server.pki.client(.gateway)
            try await withClient(server) { connection async throws in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in 0..<6 {
                        group.addTask {
                            let garbage: [[UInt8]] = i % 2 == 0 ? [[0x7f, 0xff, 0xff, 0xff]]
                                : [Self.ping, Array(repeating: 0x5a, count: 512)]
                            _ = try await RawTLSClient.exchange(port: server.port, tls: tls, chunks: garbage, readSeconds: 3)
                        }
                    }
                    group.addTask { () async throws -> Void in
                        for i in 0..<50 {
                            #expect(try await connection.request(TestKinds.echo, [UInt8(i)], timeout: .seconds(5)) == [UInt8(i)])
                        }
                    }
                    try await group.waitForAll()
                }
            }
        }
    }

    @Test func idleConnectionIsClosedWithATimeoutError() async throws {
        var configuration = WireConfiguration()
        // Idle time counts from the end of the handshake, so a slow handshake on a loaded box does
        // not matter; the ping is sent right after it. 8 s, not less: in the parallel test run the
        // shared event loops have delayed the ping's read by more than 3 s (CI, 2 cores).
        configuration.idleTimeout = .seconds(8)
        try await withServer(pki: try TestPKI(), configuration: configuration) { server async throws in
            let exchange = try await RawTLSClient.exchange(port: server.port, tls: try server.pki.client(.gateway),
                                                           chunks: [Self.ping], readSeconds: 30)
            #expect(exchange.frames.first?.type == .pong)
            #expect(exchange.errorCodes == [.timeout])
            #expect(exchange.closedByServer)
        }
    }

    @Test func idleTimeCountsFromTheEndOfTheHandshake() async throws {
        var configuration = WireConfiguration()
        configuration.idleTimeout = .seconds(6)
        configuration.handshakeTimeout = .seconds(30)
        try await withServer(pki: try TestPKI(), configuration: configuration) { server async throws in
            // TCP sits silent longer than the idle timeout before TLS starts: within the handshake
            // bound, so the connection must still work (an idle clock started at accept would have
            // closed it before the ping).
            let exchange = try await RawTLSClient.exchange(port: server.port, tls: try server.pki.client(.gateway),
                                                           chunks: [Self.ping], tlsAfterMillis: 9_000, readSeconds: 40)
            #expect(exchange.frames.first?.type == .pong)
            #expect(exchange.errorCodes == [.timeout])
            #expect(exchange.closedByServer)
        }
    }

    @Test func stalledHandshakeIsClosed() async throws {
        var configuration = WireConfiguration()
        configuration.handshakeTimeout = .milliseconds(500)
        try await withServer(pki: try TestPKI(), configuration: configuration) { server async throws in
            // Plain TCP that never starts TLS.
            let exchange = try await RawTLSClient.exchange(port: server.port, tls: nil, chunks: [], readSeconds: 30)
            #expect(exchange.closedByServer)
            #expect(exchange.frames.isEmpty)
        }
    }
}
