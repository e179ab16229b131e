import CityTestSupport
import CityPKI
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization
import Testing
@testable import CityWire

/// A city CA and identities made at test time.
struct TestPKI: Sendable {
    let ca: CertificateAuthority

    init() throws { ca = try CertificateAuthority.create(commonName: "Test City CA") }

    /// An identity issued by this CA.
    func identity(_ role: Role, _ name: String, notValidBefore: Date = Date().addingTimeInterval(-300),
                  notValidAfter: Date = Date().addingTimeInterval(3600)) throws -> TLSIdentity {
        try TLSIdentity(issued: ca.issue(role: role, name: name, notValidBefore: notValidBefore, notValidAfter: notValidAfter))
    }

    /// A client TLS configuration for `role`.
    func client(_ role: Role, _ name: String = "test-client") throws -> TLSConfiguration {
        TLSSetup.client(try identity(role, name))
    }

    /// The CA certificate as trust roots for hand-made configurations.
    var trustRoots: [NIOSSLCertificate] {
        get throws { try identity(.admin, "roots").trustRoots }
    }
}

/// Quiet logging unless `CITYWIRE_TEST_LOG` is set.
let testLogger: Logger = {
    var logger = Logger(label: "citywire.test")
    logger.logLevel = ProcessInfo.processInfo.environment["CITYWIRE_TEST_LOG"] != nil ? .trace : .critical
    return logger
}()

/// Kinds used by the tests.
enum TestKinds {
    static let echo = MessageKind(.validator, 0x01)
    static let count = MessageKind(.validator, 0x02)
    static let slow = MessageKind(.validator, 0x03)
    static let adminOnly = MessageKind(.validator, 0x04)
    static let forever = MessageKind(.validator, 0x05)
    static let fail = MessageKind(.validator, 0x06)
}

/// A test router: echo, a counted stream, a slow echo, an admin-only kind, an endless stream and a
/// failing handler. `cancelled` receives the request ids whose handlers saw cancellation.
func testRouter(cancelled: CancelLog = CancelLog()) -> WireRouter {
    var router = WireRouter()
    router.unary(TestKinds.echo, allowedRoles: { _ in true }) { $0.payload }
    router.stream(TestKinds.count, allowedRoles: { _ in true }) { request, writer in
        for i in 0..<Int(request.payload.first ?? 0) { try await writer.send([UInt8(i)]) }
    }
    router.unary(TestKinds.slow, allowedRoles: { _ in true }) { request in
        cancelled.started(request.requestID)
        do {
            try await Task.sleep(for: .milliseconds(Int(request.payload.first ?? 0) * 10))   // the handler's work (what is cancelled or awaited)
        } catch {
            cancelled.record(request.requestID)
            throw error
        }
        return request.payload
    }
    router.unary(TestKinds.adminOnly, allowedRoles: [.admin]) { _ in [1] }
    router.stream(TestKinds.forever, allowedRoles: { _ in true }) { request, writer in
        do {
            var i: UInt8 = 0
            while true {
                try await writer.send([i])
                i &+= 1
                try await Task.sleep(for: .milliseconds(5))   // paces the endless stream (its rate), not synchronisation
            }
        } catch {
            cancelled.record(request.requestID)
            throw error
        }
    }
    router.unary(TestKinds.fail, allowedRoles: { _ in true }) { _ in
        struct DatabaseDown: Error { let dsn = "postgres://secret@db" }
        throw DatabaseDown()
    }
    return router
}

/// Request ids whose handlers were cancelled, observable from tests.
final class CancelLog: Sendable {
    private let ids = Mutex<[UInt32]>([])
    private let begun = Mutex<[UInt32]>([])
    func record(_ id: UInt32) { ids.withLock { $0.append(id) } }
    var all: [UInt32] { ids.withLock { $0 } }
    /// A slow handler began serving `id`.
    func started(_ id: UInt32) { begun.withLock { $0.append(id) } }

    /// Waits (bounded) until some handler was cancelled.
    func waitForAny(seconds: Double = 5) async -> Bool {
        (try? await eventually("a handler cancelled", seconds: seconds) { !all.isEmpty }) != nil
    }

    /// Waits (bounded) until a slow handler has begun.
    func waitForStart(seconds: Double = 5) async throws {
        try await eventually("a slow handler started", seconds: seconds) { !begun.withLock { $0.isEmpty } }
    }
}

/// A running server for one test.
struct TestServer: Sendable {
    let port: Int
    let pki: TestPKI
}

/// Starts a validator `WireServer` on 127.0.0.1 port 0 in a `ServiceGroup`, runs `body`, then shuts
/// it down gracefully.
func withServer<T: Sendable>(pki: TestPKI, router: WireRouter = testRouter(),
                             configuration: WireConfiguration = WireConfiguration(),
                             revocations: CertificateRevocations = CertificateRevocations(),
                             _ body: @escaping @Sendable (TestServer) async throws -> T) async throws -> T {
    let tls = TLSSetup.server(try pki.identity(.validator, "validator-1"))
    let server = WireServer(host: "127.0.0.1", port: 0, tls: tls, router: router,
                            configuration: configuration, revocations: revocations, logger: testLogger)
    let group = ServiceGroup(services: [server], gracefulShutdownSignals: [], logger: testLogger)
    return try await withTimeout(60) {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let result: Result<T, any Error>
            do {
                let address = try await server.listeningAddress
                result = .success(try await body(TestServer(port: address.port!, pki: pki)))
            } catch {
                result = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try result.get()
        }
    }
}

/// A client connection to `server` as `role`, expecting a validator.
func withClient<T: Sendable>(_ server: TestServer, role: Role = .gateway, configuration: WireConfiguration = WireConfiguration(),
                             _ body: (WireConnection) async throws -> T) async throws -> T {
    let client = try WireClient(tls: try server.pki.client(role), configuration: configuration, logger: testLogger)
    return try await client.withConnection(host: "127.0.0.1", port: server.port, expecting: .validator, body)
}
