import CityChainAPI
import CityEncoding
import CityLedger
import CityMerkle
import CityNode
import CityWire
import Foundation
import Testing
@testable import CityIndexer

/// The pure parts of feeds: the payloads' encodings (with the hex vectors of docs/protocol/feeds.md,
/// read from the document), malformed input, the indexer's cursor progress and admission, and the
/// subscriber's tracker that makes resumption exactly-once.
@Suite struct FeedCoreTests {
    static let parking = try! DatasetID("parking.sessions")
    static let property = try! DatasetID("property.registry")

    struct Vector: Sendable, CustomTestStringConvertible {
        var label: String
        var cell: String
        var bytes: [UInt8]
        var decodesBack: Bool
        var testDescription: String { label }
    }

    static func row<T: CanonicalCodable & Equatable>(_ label: String, _ value: T, _ cell: String) -> Vector {
        let bytes = value.canonicalBytes
        return Vector(label: label, cell: cell, bytes: bytes, decodesBack: (try? T(canonicalBytes: bytes)) == value)
    }

    static let vectors: [Vector] = {
        let zone = FieldPredicate(text: #"zone="B""#)!
        let c72 = ChainCursor(height: 7, index: 2)
        return [
            row("`FeedStart.beginning`", FeedStart.beginning, "`00`"),
            row("`FeedStart.now`", FeedStart.now, "`01`"),
            row("`FeedStart.after(7.2)`", FeedStart.after(c72), "`02` `0000000000000007` `00000002`"),
            row(#"`FeedRequest(datasets: ["parking.sessions"], subject: none, predicates: [zone="B"], start: .now, purpose: "")`"#,
                FeedRequest(datasets: [parking], predicates: [zone], start: .now),
                "`00000001` `000000107061726b696e672e73657373696f6e73` `00` `00000001` `00000001` `000000047a6f6e65` `01` `00000003224222` `01` `00000000`"),
            row(#"`FeedRequest(datasets: ["property.registry"], subject: "parcel-42", predicates: [], start: .after(7.2), purpose: "valuation")`"#,
                FeedRequest(datasets: [property], subject: try! SubjectKey("parcel-42"), start: .after(c72), purpose: "valuation"),
                "`00000001` `0000001170726f70657274792e7265676973747279` `01` `0000000970617263656c2d3432` `00000000` `02` `0000000000000007` `00000002` `0000000976616c756174696f6e`"),
            row(#"`ForwardedFeed(agency: "tax-office", request: FeedRequest(datasets: ["parking.sessions"], start: .beginning))`"#,
                ForwardedFeed(agency: try! AgencyID("tax-office"), request: FeedRequest(datasets: [parking], start: .beginning)),
                "`0000000a7461782d6f6666696365` `00000001` `000000107061726b696e672e73657373696f6e73` `00` `00000000` `00` `00000000`"),
            row(#"`FeedEnd(.tooSlow, resumeAfter: 7.2, message: "read faster")`"#, FeedEnd(.tooSlow, resumeAfter: c72, message: "read faster"),
                "`03` `0000000000000007` `00000002` `0000000b` `7265616420666173746572`"),
            row("`FeedEvent.heartbeat(7.4294967295)`", FeedEvent.heartbeat(.endOf(height: 7)), "`02` `0000000000000007` `ffffffff`"),
            row(#"`FeedEvent.end(FeedEnd(.accessRevoked, resumeAfter: 7.2, message: ""))`"#,
                FeedEvent.end(FeedEnd(.accessRevoked, resumeAfter: c72, message: "")), "`03` `01` `0000000000000007` `00000002` `00000000`"),
        ]
    }()

    static func documentRows() -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        guard let doc = try? String(contentsOf: root.appendingPathComponent("docs/protocol/feeds.md"), encoding: .utf8),
              let start = doc.range(of: "## Test vectors") else { return [] }
        return doc[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
            .drop { !$0.hasPrefix("|") }.prefix { $0.hasPrefix("|") }
            .filter { !$0.hasPrefix("| value") && !$0.hasPrefix("| ---") }.map(String.init)
    }

    static func expand(_ cell: String) -> String? {
        var out = ""
        for token in cell.split(separator: " ") {
            guard token.count >= 2, token.first == "`", token.last == "`" else { return nil }
            out += token.dropFirst().dropLast()
        }
        return out
    }

    @Test(arguments: vectors) func vectorMatchesEncoderAndDocument(_ v: Vector) {
        #expect(Self.expand(v.cell) == Hex.encode(v.bytes), "\(v.label): encoder gives \(Hex.encode(v.bytes))")
        #expect(v.decodesBack)
        #expect(Self.documentRows().contains("| \(v.label) | \(v.cell) |"), "docs/protocol/feeds.md lacks the row of \(v.label)")
    }

    @Test func documentHasNoRowTheTestLacks() {
        let rows = Self.documentRows()
        #expect(rows.count == Self.vectors.count, "\(rows)")
    }

    @Test func malformedRequestsAreRefused() {
        // No dataset.
        var w = CanonicalWriter()
        w.array([DatasetID]()); w.optional(Optional<SubjectKey>.none); w.array([FieldPredicate]()); w.encode(FeedStart.now); w.string("")
        #expect(throws: CodecError.self) { try FeedRequest(canonicalBytes: w.bytes) }
        // A dataset twice.
        var twice = FeedRequest(datasets: [Self.parking, Self.parking]).canonicalBytes
        #expect(throws: CodecError.self) { try FeedRequest(canonicalBytes: twice) }
        // 17 datasets.
        let many = (0..<17).map { try! DatasetID("d\($0)") }
        #expect(throws: CodecError.self) { try FeedRequest(canonicalBytes: FeedRequest(datasets: many).canonicalBytes) }
        // Unknown tags, trailing bytes.
        #expect(throws: CodecError.self) { try FeedStart(canonicalBytes: [3]) }
        #expect(throws: CodecError.self) { try FeedEvent(canonicalBytes: [0]) }
        #expect(throws: CodecError.self) { try FeedEnd(canonicalBytes: [9] + ChainCursor.start.canonicalBytes + [0, 0, 0, 0]) }
        twice = FeedRequest(datasets: [Self.parking]).canonicalBytes + [0]
        #expect(throws: CodecError.self) { try FeedRequest(canonicalBytes: twice) }
    }

    @Test func startTextAndLongMessages() throws {
        #expect(FeedStart(text: "beginning") == .beginning)
        #expect(FeedStart(text: "now") == .now)
        #expect(FeedStart(text: "12.3") == .after(ChainCursor(height: 12, index: 3)))
        #expect(FeedStart(text: "12.x") == nil)
        let long = FeedEnd(.tooSlow, resumeAfter: .start, message: String(repeating: "é", count: 2000))
        #expect(long.message.utf8.count <= FeedEnd.maxMessageBytes)
        #expect(try FeedEnd(canonicalBytes: long.canonicalBytes) == long)
        #expect(FeedEnd.Reason.allCases.filter(\.resumable) == [.tooSlow, .indexerStopping, .expired])
    }

    @Test func progressDeliversScansAndHeartbeats() {
        var p = FeedProgress(start: .beginning, visibleHeight: 5)
        #expect(p.delivered == .start && p.behind(visibleHeight: 5))
        p.deliver(ChainCursor(height: 2, index: 4))
        #expect(p.heartbeat() == nil)
        p.scanned(through: 5)
        #expect(!p.behind(visibleHeight: 5) && p.behind(visibleHeight: 6))
        #expect(p.delivered == ChainCursor(height: 2, index: 4))
        #expect(p.heartbeat() == .endOf(height: 5))
        #expect(p.delivered == .endOf(height: 5) && p.heartbeat() == nil)
        // A scan never moves back.
        p.scanned(through: 3)
        #expect(p.scanned == .endOf(height: 5))
        let now = FeedProgress(start: .now, visibleHeight: 9)
        #expect(now.delivered == .endOf(height: 9) && !now.behind(visibleHeight: 9))
        let after = FeedProgress(start: .after(ChainCursor(height: 3, index: 1)), visibleHeight: 9)
        #expect(after.scanned == ChainCursor(height: 3, index: 1))
    }

    @Test func admissionBoundsPerAgencyAndInAll() throws {
        var a = FeedAdmission(maxFeeds: 3, maxFeedsPerAgency: 2)
        let x = try AgencyID("tax-office"), y = try AgencyID("hospital")
        try a.admit(x); try a.admit(x)
        #expect(throws: WireError.self) { try a.admit(x) }
        do { try a.admit(x) } catch { #expect(error.code == .unavailable && error.message.contains("max feeds per agency")) }
        try a.admit(y)
        do { try a.admit(y) } catch { #expect(error.code == .unavailable && error.message.contains("max feeds per indexer")) }
        a.release(x)
        try a.admit(y)
        #expect(a.open(for: x) == 1 && a.open(for: y) == 2 && a.total == 3)
    }

    @Test func trackerDropsWhatItAlreadyHandled() throws {
        var chain = IndexerChain()
        chain.parkingBlocks(6, perBlock: 3)
        let proven = chain.blocks.flatMap { cb in
            cb.block.transactions.enumerated().map { i, tx in
                ProvenTransaction(transaction: tx, proof: MerkleTree.proof(leaves: cb.block.transactions.map(\.canonicalBytes), index: i),
                                  header: CertifiedHeader(header: cb.block.header, certificate: cb.certificate))
            }
        }
        var t = FeedTracker(initial: .beginning)
        #expect(t.start == .beginning)
        var handed: [ChainCursor] = []
        // A first connection delivers four changes, a second starts over at the third (a resend).
        for p in proven.prefix(4) + proven[2...] {
            if case .deliver(let d) = t.accept(.change(p)) { handed.append(d.cursor) }
            #expect(try FeedEvent(canonicalBytes: FeedEvent.change(p).canonicalBytes) == .change(p))
        }
        #expect(handed == proven.map(\.cursor))
        #expect(t.delivered == proven.count)
        #expect(t.accept(.heartbeat(ChainCursor(height: 1, index: 0))) == .duplicate)
        #expect(t.accept(.heartbeat(.endOf(height: 2))) == .advanced(.endOf(height: 2)))
        #expect(t.start == .after(.endOf(height: 2)))
        let end = FeedEnd(.tooSlow, resumeAfter: .endOf(height: 2), message: "x")
        #expect(t.accept(.end(end)) == .ended(end))
        #expect(FeedTracker(initial: .after(ChainCursor(height: 4, index: 0))).start == .after(ChainCursor(height: 4, index: 0)))
    }
}

/// The feed hub relays announced heights at once and wakes idle feeds on its clock's tick (a
/// manual clock here: the test advances it instead of waiting half a second).
@Suite struct FeedHubTests {
    @Test(.timeLimit(.minutes(1))) func announcedHeightsAndTicksWakeEveryWatcher() async throws {
        let source = HeightWatchers()
        let (clock, time) = MonotonicClock.manual()
        let hub = FeedHub(source: source, tickInterval: .milliseconds(500), clock: clock) { 42 }
        let (_, wakeups) = hub.watch()
        var it = wakeups.makeAsyncIterator()
        let running = Task { try await hub.run() }
        try await time.untilSleepers(atLeast: 1)   // the hub's tick is asleep, so it has subscribed to the source
        source.announce(7)
        #expect(await it.next() == 7, "an announced height wakes the feed at once")
        time.advance(by: .milliseconds(499))
        time.advance(by: .milliseconds(1))
        #expect(await it.next() == 42, "the tick wakes idle feeds with the visible height")
        running.cancel()
        _ = await running.result
        #expect(await it.next() == nil, "a stopped hub ends its watchers")
    }
}
