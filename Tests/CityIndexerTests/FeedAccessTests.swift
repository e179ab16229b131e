import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import Synchronization
import Testing
@testable import CityIndexer

/// Feeds under the indexer's access rules, over real TLS against a real PostgreSQL: refused without
/// a grant, a purpose or an existing dataset; a revoked grant ends a live feed with `accessRevoked`,
/// an expired one with `grantExpired`; reads of internal data through a feed leave disclosure
/// records; the per-agency limit refuses the feed over it.
@Suite(.serialized) struct FeedAccessTests {
    /// Collects one feed's events until its end (or the stream closes).
    final class Collected: Sendable {
        let events = Mutex<[FeedEvent]>([])
        /// Set to make the feeds collecting here return (at their next event).
        let release = Mutex(false)
        var changes: [ProvenTransaction] { events.withLock { $0.compactMap { if case .change(let p) = $0 { p } else { nil } } } }
        var end: FeedEnd? { events.withLock { $0.compactMap { if case .end(let e) = $0 { e } else { nil } }.first } }

        func wait(seconds: Int = 60, until: () -> Bool) async throws {
            if (try? await eventually("a feed condition", seconds: Double(seconds), until)) != nil { return }
            throw TestFailure("feed condition not met in \(seconds) s; events: \(events.withLock { $0.count })")
        }
    }

    @Test(.timeLimit(.minutes(4))) func grantsPurposesRevocationExpiryDisclosureAndLimits() async throws {
        var chain = IndexerChain()
        chain.block([chain.property("parcel-1", owner: "Ana"), chain.grant(F.property, to: "tax-office", by: "land-bureau", expires: 1000),
                     chain.grant(F.medical, to: "ambulance-service", by: "hospital", expires: 7)])         // 1
        chain.block([chain.medical("patient-1", "allergy: none")])                                          // 2
        let (holder, ca, validator) = try await ChainServer.serve(chain)
        let db = try await TestPostgres.database().settings
        let pg = try TestPostgres.shared.get()
        var limits = FeedLimits()
        limits.maxFeedsPerAgency = 2
        limits.heartbeatInterval = .milliseconds(200)
        let indexer = try await TestIndexer(db: db, validators: [validator.address], ca: ca, feedLimits: limits)
        defer { Task { await indexer.stop(); await validator.stop() } }
        try await indexer.waitFor(height: 2)
        let tax = try FeedClient(ca: ca, agency: "tax-office")
        let parks = try FeedClient(ca: ca, agency: "parks-department")
        let ambulance = try FeedClient(ca: ca, agency: "ambulance-service")
        let port = indexer.port

        // Refusals before any event: no grant, no purpose, unknown dataset, a predicate that is not JSON.
        await expectWireError(.forbidden, "has no grant") {
            try await parks.feed(port: port, FeedRequest(datasets: [F.property], start: .beginning, purpose: "curious")) { _ in true }
        }
        await expectWireError(.forbidden, "has no grant") {
            try await parks.feed(port: port, FeedRequest(datasets: [F.parking, F.medical], start: .beginning, purpose: "x")) { _ in true }
        }
        await expectWireError(.invalidRequest, "needs a stated purpose") {
            try await tax.feed(port: port, FeedRequest(datasets: [F.property], start: .beginning)) { _ in true }
        }
        await expectWireError(.notFound, "does not exist") {
            try await tax.feed(port: port, FeedRequest(datasets: [F.ds("no.such")], start: .beginning)) { _ in true }
        }
        await expectWireError(.invalidRequest, "not a JSON value") {
            try await parks.feed(port: port, FeedRequest(datasets: [F.parking], predicates: [FieldPredicate(text: "zone=B")!])) { _ in true }
        }

        // A live feed of the internal property registry: the tax office mirrors transfers.
        let mirror = Collected()
        async let mirrored: Void = tax.feed(port: port, FeedRequest(datasets: [F.property], start: .beginning, purpose: "valuation")) { e in
            mirror.events.withLock { $0.append(e) }
            return true
        }
        let feeder = ChainFeeder(holder: holder)
        _ = await feeder.commit { c in [c.property("parcel-2", owner: "Ben"), c.property("parcel-1", owner: "Chen")] }   // 3
        try await mirror.wait { mirror.changes.count == 3 }
        #expect(mirror.changes.map(\.cursor) == [ChainCursor(height: 1, index: 0), ChainCursor(height: 3, index: 0), ChainCursor(height: 3, index: 1)])
        for p in mirror.changes { try p.verify(validatorSet: genesisSet) }
        // Every change read through the feed left a disclosure record (query kind 0x0209).
        let disclosed = try pg.psql(db, "SELECT count(DISTINCT subject) FROM citychain.disclosures WHERE reader = 'tax-office' AND query_kind = 521 AND purpose = 'valuation'")
        #expect(disclosed == "2")

        // Revoking the grant ends the live feed; later changes never reach it.
        let revokedAt = await feeder.commit { c in [c.tx("land-bureau", .revokeAccess(dataset: F.property, grantee: F.id("tax-office")))] } // 4
        _ = await feeder.commit { c in [c.property("parcel-3", owner: "Dee")] }                                                    // 5
        try await mirrored
        #expect(mirror.end?.reason == .accessRevoked, "\(String(describing: mirror.end))")
        #expect(mirror.changes.count == 3)
        #expect(mirror.end.map { $0.resumeAfter >= ChainCursor(height: 3, index: 1) && $0.resumeAfter < .endOf(height: revokedAt) } == true)
        await expectWireError(.forbidden, "has no grant") {
            try await tax.feed(port: port, FeedRequest(datasets: [F.property], start: .after(ChainCursor(height: 3, index: 1)), purpose: "valuation")) { _ in true }
        }

        // A grant that expires (at height 7) ends the ambulance service's feed of restricted records.
        let dispatch = Collected()
        async let dispatched: Void = ambulance.feed(port: port, FeedRequest(datasets: [F.medical], start: .beginning, purpose: "dispatch")) { e in
            dispatch.events.withLock { $0.append(e) }
            return true
        }
        try await dispatch.wait { dispatch.changes.count == 1 }
        for _ in 0..<3 { _ = await feeder.commit { c in [c.medical("patient-1", "update")] } }                                  // 6, 7, 8
        try await dispatched
        #expect(dispatch.end?.reason == .grantExpired, "\(String(describing: dispatch.end))")
        #expect(dispatch.end?.message.contains("expired at height 7") == true)
        #expect(dispatch.changes.map(\.height).allSatisfy { $0 <= 7 })

        // Two feeds per agency here: a third is refused, naming the limit, until one closes.
        let open = Collected()
        async let first: Void = parks.feed(port: port, FeedRequest(datasets: [F.parking])) { e in
            open.events.withLock { $0.append(e) }
            return !open.release.withLock { $0 }
        }
        async let second: Void = parks.feed(port: port, FeedRequest(datasets: [F.parking])) { e in
            open.events.withLock { $0.append(e) }
            return !open.release.withLock { $0 }
        }
        try await open.wait { open.events.withLock { $0.count } >= 2 }
        await expectWireError(.unavailable, "max feeds per agency") {
            try await parks.feed(port: port, FeedRequest(datasets: [F.parking])) { _ in true }
        }
        open.release.withLock { $0 = true }
        try await first
        try await second
    }
}
