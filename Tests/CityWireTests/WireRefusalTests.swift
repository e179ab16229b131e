import CityPKI
import CityTestSupport
import Foundation
import Testing
@testable import CityWire

/// Slow clients bounded (a frame must arrive whole in time; connections capped per peer) and every
/// refusal counted (issue 17 items 2 and 5).
@Suite(.timeLimit(.minutes(3))) struct WireRefusalTests {
    static let ping = Frame(.ping, kind: .connection, requestID: 7).wireBytes

    @Test func aTrickledFrameIsClosedWithATimeout() async throws {
        var configuration = WireConfiguration()
        configuration.frameReadTimeout = .seconds(2)
        configuration.idleTimeout = .seconds(120)   // far beyond the read below: only the frame deadline can close it
        try await withServer(pki: try TestPKI(), configuration: configuration) { server async throws in
            // A whole ping, then the first 6 bytes of another, and nothing more.
            let exchange = try await RawTLSClient.exchange(port: server.port, tls: try server.pki.client(.gateway),
                                                           chunks: [Self.ping, Array(Self.ping.prefix(6))], readSeconds: 40)
            #expect(exchange.frames.first?.type == .pong)
            #expect(exchange.errorCodes == [.timeout])
            #expect(exchange.closedByServer)
        }
    }

    @Test func hundredSlowConnectionsDoNotStopTheAnswers() async throws {
        var configuration = WireConfiguration()
        configuration.frameReadTimeout = .seconds(3)
        try await withServer(pki: try TestPKI(), configuration: configuration) { server async throws in
            let tls = try server.pki.client(.gateway)
            try await withClient(server) { connection async throws in
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    for _ in 0..<100 {
                        group.addTask {
                            // A frame header announcing 64 KiB, and 100 bytes of it.
                            var partial: [UInt8] = [0x00, 0x01, 0x00, 0x00]
                            partial += Array(repeating: 0x5a, count: 100)
                            let exchange = try await RawTLSClient.exchange(port: server.port, tls: tls, chunks: [partial], readSeconds: 50)
                            return exchange.closedByServer && exchange.errorCodes == [.timeout]
                        }
                    }
                    for i in 0..<50 {
                        #expect(try await connection.request(TestKinds.echo, [UInt8(i)], timeout: .seconds(10)) == [UInt8(i)])
                    }
                    var closed = 0
                    for try await ok in group where ok { closed += 1 }
                    #expect(closed == 100)
                }
            }
        }
    }

    @Test func connectionsPerPeerAreCapped() async throws {
        var configuration = WireConfiguration()
        configuration.maxConnectionsPerPeer = 2
        try await withServer(pki: try TestPKI(), configuration: configuration) { server async throws in
            let before = WireRefusals.count("connections")
            // One certificate (the cap is per certificate) for three connections.
            let tls = try server.pki.client(.gateway)
            let client = try WireClient(tls: tls, logger: testLogger)
            try await client.withConnection(host: "127.0.0.1", port: server.port, expecting: .validator) { first async throws in
                try await client.withConnection(host: "127.0.0.1", port: server.port, expecting: .validator) { second async throws in
                    #expect(try await first.request(TestKinds.echo, [1]) == [1])
                    #expect(try await second.request(TestKinds.echo, [2]) == [2])
                    let third = try await RawTLSClient.exchange(port: server.port, tls: tls, chunks: [Self.ping], readSeconds: 40)
                    #expect(third.errorCodes == [.unavailable])
                    #expect(third.closedByServer)
                    // Another certificate is not held back by this one's cap.
                    try await withClient(server, role: .indexer) { other async throws in
                        #expect(try await other.request(TestKinds.echo, [3]) == [3])
                    }
                }
            }
            #expect(WireRefusals.count("connections") > before)
            // Closed connections free their places.
            try await client.withConnection(host: "127.0.0.1", port: server.port, expecting: .validator) { again async throws in
                #expect(try await again.request(TestKinds.echo, [4]) == [4])
            }
        }
    }

    @Test func forbiddenCallsAndRefusedHandshakesAreCounted() async throws {
        try await withServer(pki: try TestPKI()) { server async throws in
            let forbidden = WireRefusals.count("forbidden"), handshakes = WireRefusals.count("handshake")
            try await withClient(server) { connection async throws in
                await #expect { try await connection.request(TestKinds.adminOnly, [1]) } throws: { ($0 as? WireError)?.code == .forbidden }
            }
            #expect(WireRefusals.count("forbidden") > forbidden)
            // Plain TCP that never starts TLS, then closes: a failed handshake.
            _ = try await RawTLSClient.exchange(port: server.port, tls: nil, chunks: [[0x16, 0x03, 0x01, 0x00, 0x01, 0x00]], readSeconds: 20)
            try await eventually("the refused handshake counted", seconds: 20) { WireRefusals.count("handshake") > handshakes }
        }
    }

    @Test func refusalReasonsCoverTheErrorCodes() {
        #expect(WireRefusals.reason(of: .forbidden) == "forbidden")
        #expect(WireRefusals.reason(of: .rateLimited(retryAfterMillis: 5)) == "rateLimited")
        #expect(WireRefusals.reason(of: .frameTooLarge) == "frame")
        #expect(WireRefusals.reason(of: .notFound) == nil)
        #expect(WireRefusals.reason(of: .internal) == nil)
    }
}

/// The server's budget of unfinished frames across connections.
@Suite(.timeLimit(.minutes(3))) struct FrameBudgetTests {
    @Test func aBudgetRefusesWhatWouldPassItAndTakesBackWhatIsReleased() {
        let budget = FrameBudget(limit: 100)
        #expect(budget.charge(60))
        #expect(!budget.charge(41))
        #expect(budget.held == 60)
        #expect(budget.charge(40))
        budget.release(60)
        #expect(budget.held == 40)
        #expect(budget.charge(60))
    }

    @Test func unfinishedFramesPastTheServersBudgetAreRefused() async throws {
        var configuration = WireConfiguration()
        configuration.maxUnfinishedFrameBytes = 48 * 1024
        configuration.frameReadTimeout = .seconds(60)   // beyond the reads below: only the budget can close them
        try await withServer(pki: try TestPKI(), configuration: configuration) { server async throws in
            let tls = try server.pki.client(.gateway)
            let before = WireRefusals.count("buffers")
            // Three clients each send 20 KiB of a 64 KiB frame and stop: together they would hold 60 KiB.
            let outcomes = try await withThrowingTaskGroup(of: RawTLSClient.Exchange.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        var partial: [UInt8] = [0x00, 0x01, 0x00, 0x00]
                        partial += Array(repeating: 0x5a, count: 20 * 1024)
                        return try await RawTLSClient.exchange(port: server.port, tls: tls, chunks: [partial], readSeconds: 15)
                    }
                }
                var all: [RawTLSClient.Exchange] = []
                for try await e in group { all.append(e) }
                return all
            }
            let refused = outcomes.filter { $0.closedByServer && $0.errorCodes == [.unavailable] }
            #expect(refused.count >= 1, "no connection was refused: \(outcomes)")
            #expect(outcomes.count - refused.count >= 1, "every connection was refused, though two fit the budget")
            #expect(WireRefusals.count("buffers") > before)
            // The budget is given back when connections close: a new client is answered.
            try await withClient(server) { connection async throws in
                #expect(try await connection.request(TestKinds.echo, [9]) == [9])
            }
        }
    }
}

/// The connection caps per class of role, without sockets.
@Suite struct ConnectionLimitsTests {
    static func peer(_ role: Role, _ n: Int) throws -> PeerIdentity {
        let ca = try CertificateAuthority.create()
        return try ca.issue(role: role, name: "peer-\(n)").peer
    }

    @Test func agenciesCannotTakeTheServicesPlaces() throws {
        var configuration = WireConfiguration()
        configuration.maxConnections = 6
        configuration.connectionsReservedPerClass = 2
        let limits = ConnectionLimits(configuration)
        let agencies = try (0..<5).map { try Self.peer(.agency("agency-\($0)"), $0) }
        for a in agencies.prefix(4) { #expect(limits.admit(a) == nil) }
        // Four agency connections: the fifth would take a place kept for the services.
        #expect(limits.admit(agencies[4])?.code == .unavailable)
        let validator = try Self.peer(.validator, 9), indexer = try Self.peer(.indexer, 10)
        #expect(limits.admit(validator) == nil)
        #expect(limits.admit(indexer) == nil)
        // Six in all: nobody else.
        #expect(limits.admit(try Self.peer(.gateway, 11))?.code == .unavailable)
        limits.release(agencies[0])
        #expect(limits.admit(agencies[4]) == nil)
    }

    @Test func aSmallServerKeepsAtMostHalfPerClass() throws {
        var configuration = WireConfiguration()
        configuration.maxConnections = 2
        configuration.connectionsReservedPerClass = 256
        let limits = ConnectionLimits(configuration)
        #expect(limits.admit(try Self.peer(.agency("a"), 1)) == nil)
        #expect(limits.admit(try Self.peer(.agency("b"), 2))?.code == .unavailable)
        #expect(limits.admit(try Self.peer(.validator, 3)) == nil)
    }
}
