import Logging
import ServiceLifecycle
@testable import CityWire

/// A one-service `ServiceGroup` for tests that trigger shutdown mid-request.
struct ServiceGroupBox: Sendable {
    private let group: ServiceGroup

    init(_ server: WireServer) {
        group = ServiceGroup(services: [server], gracefulShutdownSignals: [], logger: testLogger)
    }

    func run() async throws { try await group.run() }
    func shutdown() async { await group.triggerGracefulShutdown() }
}
