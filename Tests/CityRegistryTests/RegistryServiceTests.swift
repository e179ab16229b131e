import CityChainAPI
import CityEncoding
import CityNode
import CityPKI
import CityTestSupport
import CityWire
import Logging
import ServiceLifecycle
import Testing
@testable import CityRegistry

/// The registry's routes over the real wire (mutual TLS, in-process server, real PostgreSQL):
/// who may register as what, heartbeats only by the registering certificate, the watch, the agent.
@Suite struct RegistryServiceTests {
    @Test(.timeLimit(.minutes(2))) func onlyTheMatchingCertificateRegistersRenewsAndRemoves() async throws {
        let ca = try CertificateAuthority.create()
        let registry = try await TestRegistry(db: try await TestPostgres.database(), ca: ca)
        defer { Task { await registry.stop() } }
        let validator = try TestIdentity(ca, .validator, "validator-1")
        let impostor = try TestIdentity(ca, .validator, "validator-1")   // same name, another certificate
        let gateway = try TestIdentity(ca, .gateway, "gateway-1")
        let agency = try TestIdentity(ca, .agency("tax-office"), "tax-office")

        await expectWireError(.forbidden, "only as kind gateway", "a gateway registering as validator") {
            var r = gateway.registration(.validator)
            r.id = "gateway-1"
            _ = try await registry.connect(as: gateway) { try await $0.ask(RegistryAPI.register, r, as: ServiceEntry.self) }
        }
        await expectWireError(.forbidden, "may not call", "an agency registering as validator") {
            _ = try await registry.connect(as: agency) { try await $0.ask(RegistryAPI.register, validator.registration(.validator), as: ServiceEntry.self) }
        }
        await expectWireError(.forbidden, "fingerprint", "a claimed fingerprint of another certificate") {
            _ = try await registry.connect(as: impostor) { try await $0.ask(RegistryAPI.register, validator.registration(.validator), as: ServiceEntry.self) }
        }
        let entry = try await registry.connect(as: validator) { try await $0.ask(RegistryAPI.register, validator.registration(.validator), as: ServiceEntry.self) }
        #expect(entry.certificateFingerprint == validator.fingerprint)
        let key = HeartbeatRequest(kind: .validator, id: "validator-1")
        await expectWireError(.forbidden, "another certificate", "a heartbeat by another certificate") {
            _ = try await registry.connect(as: impostor) { try await $0.ask(RegistryAPI.heartbeat, key, as: ServiceEntry.self) }
        }
        await expectWireError(.forbidden, "another certificate", "a deregistration by another certificate") {
            _ = try await registry.connect(as: impostor) { try await $0.request(RegistryAPI.deregister, key.canonicalBytes) }
        }
        // Lookups are open to every authenticated role, agencies included.
        let seen = try await registry.connect(as: agency) { try await $0.ask(RegistryAPI.lookup, LookupRequest(kind: .validator), as: LookupAnswer.self) }
        #expect(seen.entries == [entry])
        let renewed = try await registry.connect(as: validator) { try await $0.ask(RegistryAPI.heartbeat, key, as: ServiceEntry.self) }
        #expect(renewed.expiresAtMillis >= entry.expiresAtMillis)
        _ = try await registry.connect(as: validator) { try await $0.request(RegistryAPI.deregister, key.canonicalBytes) }
        do {
            _ = try await registry.connect(as: validator) { try await $0.ask(RegistryAPI.heartbeat, key, as: ServiceEntry.self) }
            Issue.record("a heartbeat after deregistration was answered")
        } catch let e as WireError {
            #expect(e.code == .notFound && e.message.contains("register again"))
        }
        let all = try await registry.connect(as: agency) { try await $0.request(RegistryAPI.listAll, []) }
        #expect(try LookupAnswer(canonicalBytes: all).entries.isEmpty)
    }

    @Test(.timeLimit(.minutes(2))) func watchAndDirectorySeeAddsAndLeaseExpiry() async throws {
        let ca = try CertificateAuthority.create()
        let registry = try await TestRegistry(db: try await TestPostgres.database(), ca: ca)
        defer { Task { await registry.stop() } }
        let indexer = try TestIdentity(ca, .indexer, "indexer-1")
        let gateway = try TestIdentity(ca, .gateway, "gateway-1")
        let recorder = try WatchRecorder(registry: registry.address, identity: gateway)
        let directory = RegistryDirectory(registries: [registry.address], client: try gateway.client(), logger: testLogger)
        let run = Task { await directory.run() }
        defer { run.cancel() }
        var changes = directory.changes().makeAsyncIterator()
        try await eventually("the directory's first snapshot") { await directory.isSynced }
        // The watch's first snapshot must come before the registration (else the indexer is in it, not added after it).
        try await eventually("the watch's first snapshot") { !recorder.recorded.isEmpty }
        _ = try await registry.connect(as: indexer) {
            try await $0.ask(RegistryAPI.register, indexer.registration(.indexer, leaseMillis: 1_000), as: ServiceEntry.self)
        }
        try await eventually("the directory to list the indexer") { await directory.entries(.indexer).map(\.id) == ["indexer-1"] }
        #expect(await changes.next() != nil)
        try await eventually("the lease to expire in the directory", seconds: 8) { await directory.entries(.indexer).isEmpty }
        try await eventually("the watch to report the expiry") { recorder.saw { $0.removes("indexer-1", .expired) } }
        let events = recorder.recorded
        guard case .snapshot(let first)? = events.first else { throw TestFailure("the watch did not open with a snapshot: \(events)") }
        #expect(first.entries.isEmpty)
        #expect(events.contains { $0.adds("indexer-1") })
        await recorder.stop()
    }

    @Test(.timeLimit(.minutes(2))) func agentRegistersRenewsReRegistersAndDeregistersOnShutdown() async throws {
        let ca = try CertificateAuthority.create()
        let db = try await TestPostgres.database()
        let registry = try await TestRegistry(db: db, ca: ca)
        defer { Task { await registry.stop() } }
        let indexer = try TestIdentity(ca, .indexer, "indexer-7")
        let agentClient = try indexer.client()
        // The heartbeat interval (a third of the 60 s lease) runs on a manual clock: the test
        // advances it instead of waiting 20 s per heartbeat.
        let (clock, time) = MonotonicClock.manual()
        let agent = RegistryAgent(registries: [registry.address], client: agentClient,
                                  registration: try .init(identity: indexer.peer, detail: "test", leaseMillis: 60_000),
                                  advertise: { HostPort(host: "127.0.0.1", port: 7207) }, logger: testLogger, clock: clock)
        /// The agent asleep until its next heartbeat: move its clock to it.
        func nextHeartbeat() async throws {
            try await withTimeout(60) { try await time.untilSleepers(atLeast: 1) }
            time.advance(by: .seconds(20))
        }
        let group = ServiceGroup(services: [agent], logger: testLogger)
        let run = Task { try await group.run() }
        func lookup() async throws -> [ServiceEntry] {
            try await registry.connect(as: indexer) { try await $0.ask(RegistryAPI.lookup, LookupRequest(kind: .indexer), as: LookupAnswer.self) }.entries
        }
        try await eventually("the agent to register") { try await lookup().map(\.address) == ["127.0.0.1:7207"] }
        // Heartbeats, one per interval of the agent's clock (none before it moves).
        #expect(agent.status.heartbeats == 0)
        for n in 1...3 {
            try await nextHeartbeat()
            try await eventually("heartbeat \(n)") { agent.status.heartbeats == n }
        }
        #expect(try await lookup().count == 1)
        #expect(agent.status.registrations == 1)
        // The lease lost behind its back (an operator deleted the row): the next heartbeat gets
        // notFound and the agent registers again.
        #expect(try TestPostgres.shared.get().psql(db, "DELETE FROM registry.services RETURNING id") == "indexer-7")
        try await nextHeartbeat()
        try await eventually("the agent to register again", seconds: 10) { agent.status.registrations == 2 }
        #expect(try await lookup().map(\.id) == ["indexer-7"])
        // A certificate rotated by SIGHUP (what CertificateReloader does for the agent's client):
        // the entry gets the new fingerprint without a restart.
        let rotated = try TestIdentity(ca, .indexer, "indexer-7")
        try agentClient.replaceTLS(TLSSetup.client(rotated.tls))
        let newFingerprint = try #require(Hash32(hex: rotated.peer.fingerprint))
        #expect(try await lookup().first?.certificateFingerprint != newFingerprint)
        agent.certificateChanged(fingerprint: newFingerprint)
        try await nextHeartbeat()
        try await eventually("the entry to carry the new fingerprint", seconds: 10) {
            try await lookup().first?.certificateFingerprint == newFingerprint
        }
        await group.triggerGracefulShutdown()
        try await run.value
        #expect(try await lookup().isEmpty, "the agent deregistered on shutdown")
        #expect(agent.status.registeredVia == nil)
    }
}
