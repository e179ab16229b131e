import CityChainAPI
import CityEncoding
import CityTestSupport
import CityWire
import Foundation
import Testing
@testable import CityRegistry

/// The store against a real PostgreSQL: leases on the database clock, two stores (two registry
/// processes) on one database seeing each other's writes, the revision, hostile ids.
@Suite struct RegistryStoreTests {
    static let fp = Hash32.sha256(Array("cert-a".utf8)), otherFP = Hash32.sha256(Array("cert-b".utf8))

    static func request(_ id: String, kind: ServiceKind = .validator, lease: UInt64 = 60_000, fp: Hash32 = fp,
                        address: String = "127.0.0.1:7101") -> RegisterRequest {
        RegisterRequest(kind: kind, id: id, address: address, certificateFingerprint: fp, nodeKey: Array(repeating: 1, count: 32),
                        leaseMillis: lease, detail: "v1")
    }

    @Test func registerRenewDeregister() async throws {
        let db = try await TestPostgres.database()
        try await withStore(db) { store in
            let e = try await store.register(Self.request("validator-1"))
            #expect(e.expiresAtMillis == e.registeredAtMillis + 60_000)
            #expect(e.nodeKey == Array(repeating: 1, count: 32))
            // A renewal sets the expiry from the database's clock (now()): renew until it has moved on a millisecond.
            var renewed = e
            try await eventually("a renewal moves the expiry later", seconds: 5) {
                guard case .done(let r?) = try await store.heartbeat(e.key, fingerprint: Self.fp) else { throw TestFailure("no renewal") }
                renewed = r
                return r.expiresAtMillis > e.expiresAtMillis
            }
            #expect(renewed.registeredAtMillis == e.registeredAtMillis)
            #expect(try await store.heartbeat(e.key, fingerprint: Self.otherFP) == .otherHolder)
            #expect(try await store.deregister(e.key, fingerprint: Self.otherFP) == .otherHolder)
            #expect(try await store.heartbeat(ServiceKey(kind: .indexer, id: "validator-1"), fingerprint: Self.fp) == .notFound)
            // Re-registering a live entry with the same certificate keeps its first registration time.
            let again = try await store.register(Self.request("validator-1", address: "127.0.0.1:7109"))
            #expect(again.registeredAtMillis == e.registeredAtMillis && again.address == "127.0.0.1:7109")
            #expect(try await store.live(kind: .validator).entries == [again])
            #expect(try await store.live(kind: .indexer).entries.isEmpty)
            #expect(try await store.deregister(e.key, fingerprint: Self.fp) == .done(nil))
            #expect(try await store.deregister(e.key, fingerprint: Self.fp) == .notFound)
            #expect(try await store.live(kind: nil).entries.isEmpty)
        }
    }

    @Test func leasesExpireOnTheDatabaseClock() async throws {
        let db = try await TestPostgres.database()
        try await withStore(db) { store in
            let e = try await store.register(Self.request("indexer-1", kind: .indexer, lease: 1_000))
            _ = try await store.register(Self.request("indexer-2", kind: .indexer, lease: 60_000))
            #expect(try await store.live(kind: .indexer).entries.map(\.id) == ["indexer-1", "indexer-2"])
            try await eventually("the 1 s lease to run out", seconds: 5) {
                try await store.live(kind: .indexer).entries.map(\.id) == ["indexer-2"]
            }
            // Expired: a heartbeat is refused (register again), but the row stays until purged.
            #expect(try await store.heartbeat(e.key, fingerprint: Self.fp) == .notFound)
            #expect(try await store.all().entries.map(\.id) == ["indexer-1", "indexer-2"])
            #expect(try await store.purgeExpired(graceMillis: 60_000) == 0)
            #expect(try await store.purgeExpired(graceMillis: 0) == 1)
            #expect(try await store.all().entries.map(\.id) == ["indexer-2"])
            // Registering again after expiry is a new registration.
            let back = try await store.register(Self.request("indexer-1", kind: .indexer, lease: 1_000))
            #expect(back.registeredAtMillis > e.registeredAtMillis)
        }
    }

    @Test func twoStoresOnOneDatabaseShareTheDirectoryAndItsRevision() async throws {
        let db = try await TestPostgres.database()
        try await withStore(db) { a in
            try await withStore(db) { b in
                let r0 = try await b.head().revision
                _ = try await a.register(Self.request("gateway-1", kind: .gateway))
                let r1 = try await b.head().revision
                #expect(r1 > r0)
                #expect(try await b.live(kind: .gateway).entries.map(\.id) == ["gateway-1"])
                // A heartbeat through B of an entry registered through A; not a directory change.
                guard case .done = try await b.heartbeat(ServiceKey(kind: .gateway, id: "gateway-1"), fingerprint: Self.fp) else {
                    throw TestFailure("heartbeat through the other store failed")
                }
                #expect(try await a.head().revision == r1)
                _ = try await b.register(Self.request("gateway-2", kind: .gateway))
                let r2 = try await a.head().revision
                #expect(r2 > r1)
                #expect(try await a.deregister(ServiceKey(kind: .gateway, id: "gateway-2"), fingerprint: Self.fp) == .done(nil))
                #expect(try await b.head().revision > r2)
                #expect(try await b.live(kind: nil).entries.map(\.id) == ["gateway-1"])
                // Concurrent writes through both: every one gets its own revision.
                let before = try await a.head().revision
                try await withThrowingTaskGroup(of: Void.self) { g in
                    for i in 0..<10 {
                        g.addTask { _ = try await (i % 2 == 0 ? a : b).register(Self.request("v-\(i)")) }
                    }
                    try await g.waitForAll()
                }
                #expect(try await a.head().revision == before + 10)
                #expect(try await b.live(kind: .validator).entries.count == 10)
            }
        }
    }

    @Test func sqlMetacharactersInIdsAreJustIds() async throws {
        let db = try await TestPostgres.database()
        let hostile = ["x');DROP/**/TABLE/**/registry.services;--", "a\"b\\c", "%_*?", "$1::text"]
        try await withStore(db) { store in
            for id in hostile { _ = try await store.register(Self.request(id)) }
            let ids = try await store.live(kind: .validator).entries.map(\.id)
            #expect(Set(ids) == Set(hostile))
            #expect(try await store.deregister(ServiceKey(kind: .validator, id: "%_*?"), fingerprint: Self.fp) == .done(nil))
            #expect(try await store.live(kind: nil).entries.count == hostile.count - 1)
        }
        #expect(try TestPostgres.shared.get().psql(db, "SELECT count(*) FROM registry.services") == "\(hostile.count - 1)")
    }

    /// The feed every watch of a replica shares: reloads only for a change or a passed expiry.
    @Test func theSharedFeedReloadsOnlyForChangesAndExpiries() async throws {
        let db = try await TestPostgres.database()
        try await withStore(db) { store in
            let (clock, time) = MonotonicClock.manual()
            let feed = DirectoryFeed(store: store, maxAge: .milliseconds(20), clock: clock)
            let g0 = try await feed.view().generation
            #expect(try await feed.view().generation == g0, "within maxAge: the cached view")
            _ = try await store.register(Self.request("v-1", lease: 60_000))
            time.advance(by: .milliseconds(30))
            let v1 = try await feed.view()
            #expect(v1.generation == g0 + 1 && v1.answer.entries.map(\.id) == ["v-1"])
            // A heartbeat is not a change: no reload.
            guard case .done = try await store.heartbeat(ServiceKey(kind: .validator, id: "v-1"), fingerprint: Self.fp) else {
                throw TestFailure("heartbeat failed")
            }
            time.advance(by: .milliseconds(30))
            let v2 = try await feed.view()
            #expect(v2.generation == v1.generation && v2.answer.registryTimeMillis >= v1.answer.registryTimeMillis)
            // A lease passing its expiry is: the feed reloads and the entry is gone.
            _ = try await store.register(Self.request("v-2", lease: 1_000))
            time.advance(by: .milliseconds(30))
            #expect(try await feed.view().answer.entries.map(\.id) == ["v-1", "v-2"])
            try await eventually("the feed to drop the expired lease", seconds: 5) {
                time.advance(by: .milliseconds(30))   // past maxAge: each check reads the store
                return try await feed.view().answer.entries.map(\.id) == ["v-1"]
            }
        }
    }

    @Test func migrationIsIdempotentAndRecorded() async throws {
        let db = try await TestPostgres.database()
        try await withStore(db) { store in try await store.migrate() }
        try await withStore(db) { _ in }
        #expect(try TestPostgres.shared.get().psql(db, "SELECT string_agg(version::text, ',') FROM registry.schema_migrations") == "1")
    }
}
