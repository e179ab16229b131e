import CityTestSupport
import CityPKI
import Foundation
import NIOSSL
import Synchronization
import Testing
@testable import CityWire

/// Server and client end to end over real TLS 1.3 on 127.0.0.1, certificates made at test time.
@Suite(.timeLimit(.minutes(2))) struct WireTLSTests {
    @Test func requestResponse() async throws {
        try await withServer(pki: try TestPKI()) { server async throws in
            try await withClient(server) { connection async throws in
                #expect(connection.server.role == .validator)
                #expect(try await connection.request(TestKinds.echo, [1, 2, 3]) == [1, 2, 3])
                #expect(try await connection.request(TestKinds.echo, []) == [])
            }
        }
    }

    @Test func streamDeliversItemsThenEnds() async throws {
        try await withServer(pki: try TestPKI()) { server async throws in
            try await withClient(server) { connection async throws in
                var items: [[UInt8]] = []
                for try await item in connection.stream(TestKinds.count, [5]) { items.append(item) }
                #expect(items == [[0], [1], [2], [3], [4]])
            }
        }
    }

    @Test func concurrentRequestsAreMultiplexed() async throws {
        try await withServer(pki: try TestPKI()) { server async throws in
            try await withClient(server) { connection async throws in
                // Delays decrease with the index, so answers come back out of order.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in 0..<40 {
                        group.addTask {
                            let payload: [UInt8] = [UInt8(40 - i), UInt8(i)]
                            let answer = try await connection.request(TestKinds.slow, payload)
                            #expect(answer == payload)
                        }
                    }
                    try await group.waitForAll()
                }
            }
        }
    }

    @Test func pingGetsPong() async throws {
        try await withServer(pki: try TestPKI()) { server async throws in
            try await withClient(server) { connection async throws in
                try await connection.ping()
                try await connection.ping()
            }
        }
    }

    @Test func cancellingAStreamConsumerCancelsTheHandler() async throws {
        let cancelled = CancelLog()
        try await withServer(pki: try TestPKI(), router: testRouter(cancelled: cancelled)) { server async throws in
            try await withClient(server) { connection async throws in
                var seen = 0
                for try await _ in connection.stream(TestKinds.forever, []) {
                    seen += 1
                    if seen == 3 { break }
                }
                #expect(await cancelled.waitForAny())
                // The connection is still usable.
                #expect(try await connection.request(TestKinds.echo, [7]) == [7])
            }
        }
    }

    @Test func cancellingARequestTaskCancelsTheHandler() async throws {
        let cancelled = CancelLog()
        try await withServer(pki: try TestPKI(), router: testRouter(cancelled: cancelled)) { server async throws in
            try await withClient(server) { connection async throws in
                let outcome = await withTaskGroup(of: (any Error)?.self) { group in
                    group.addTask {
                        do { _ = try await connection.request(TestKinds.slow, [250]); return nil } catch { return error }
                    }
                    try? await cancelled.waitForStart()
                    group.cancelAll()
                    return await group.next()!
                }
                #expect(outcome is CancellationError)
                #expect(await cancelled.waitForAny())
            }
        }
    }

    @Test func requestTimeoutCancelsOnTheServer() async throws {
        let cancelled = CancelLog()
        try await withServer(pki: try TestPKI(), router: testRouter(cancelled: cancelled)) { server async throws in
            try await withClient(server) { connection async throws in
                await #expect { try await connection.request(TestKinds.slow, [250], timeout: .milliseconds(200)) }
                    throws: { ($0 as? WireError)?.code == .timeout }
                #expect(await cancelled.waitForAny())
            }
        }
    }

    @Test func wrongRoleIsForbiddenForThatKindOnly() async throws {
        try await withServer(pki: try TestPKI()) { server async throws in
            try await withClient(server, role: .gateway) { connection async throws in
                await #expect { try await connection.request(TestKinds.adminOnly, []) }
                    throws: { ($0 as? WireError)?.code == .forbidden }
                #expect(try await connection.request(TestKinds.echo, [1]) == [1])
            }
            try await withClient(server, role: .admin) { connection async throws in
                #expect(try await connection.request(TestKinds.adminOnly, []) == [1])
            }
        }
    }

    @Test func unknownKindAndInternalErrorsAreTyped() async throws {
        try await withServer(pki: try TestPKI()) { server async throws in
            try await withClient(server) { connection async throws in
                await #expect { try await connection.request(MessageKind(.registry, 0x77), []) }
                    throws: { ($0 as? WireError)?.code == .unknownKind }
                await #expect { try await connection.request(TestKinds.fail, []) }
                    throws: { $0 as? WireError == .internalFailure }
                #expect(try await connection.request(TestKinds.echo, [2]) == [2])
            }
        }
    }

    @Test func clientRefusesAServerWithTheWrongRole() async throws {
        try await withServer(pki: try TestPKI()) { server async throws in
            let client = try WireClient(tls: try server.pki.client(.gateway), logger: testLogger)
            await #expect { try await client.withConnection(host: "127.0.0.1", port: server.port, expecting: .registry) { _ in } }
                throws: { ($0 as? WireError)?.code == .forbidden }
        }
    }

    @Test func inFlightBoundIsEnforcedAndConnectionStaysUp() async throws {
        var configuration = WireConfiguration()
        configuration.maxInFlightPerConnection = 2
        try await withServer(pki: try TestPKI(), configuration: configuration) { server async throws in
            var clientConfiguration = WireConfiguration()
            clientConfiguration.maxInFlightPerConnection = 16
            try await withClient(server, configuration: clientConfiguration) { connection async throws in
                let codes = try await withThrowingTaskGroup(of: WireErrorCode?.self) { group in
                    for _ in 0..<3 {
                        group.addTask {
                            do { _ = try await connection.request(TestKinds.slow, [40]); return nil } catch let e as WireError { return e.code }
                        }
                    }
                    var codes: [WireErrorCode?] = []
                    for try await code in group { codes.append(code) }
                    return codes
                }
                #expect(codes.filter { $0 == nil }.count == 2)
                #expect(codes.filter { $0 == .tooManyInFlight }.count == 1)
                #expect(try await connection.request(TestKinds.echo, [3]) == [3])
            }
        }
    }

    @Test func gracefulShutdownLetsInFlightRequestsFinish() async throws {
        let pki = try TestPKI()
        let tls = TLSSetup.server(try pki.identity(.validator, "validator-1"))
        let begun = CancelLog()
        let server = WireServer(host: "127.0.0.1", port: 0, tls: tls, router: testRouter(cancelled: begun), logger: testLogger)
        let group = ServiceGroupBox(server)
        try await withTimeout(30) {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let port = try await server.listeningAddress.port!
                try await withClient(TestServer(port: port, pki: pki)) { connection async throws in
                    async let answer = connection.request(TestKinds.slow, [50])   // 500 ms
                    try await begun.waitForStart()
                    await group.shutdown()
                    #expect(try await answer == [50])
                }
                try await tasks.waitForAll()
            }
        }
    }
}
