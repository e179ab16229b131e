import CityTestSupport
import CityChainAPI
import CityEncoding
import CityPKI
import CityWire
import Testing
@testable import CityRegistry

/// The registry payloads: round trips, the limits checked on decode, malformed input refused with
/// a typed error; the watch diff and the role checks as pure functions.
@Suite struct RegistryCodecTests {
    static let fp = Hash32.sha256(Array("cert".utf8))

    static func entry(_ id: String = "validator-1", kind: ServiceKind = .validator, expires: UInt64 = 20_000,
                      address: String = "127.0.0.1:7101", detail: String = "v1") -> ServiceEntry {
        ServiceEntry(kind: kind, id: id, address: address, certificateFingerprint: fp, nodeKey: Array(repeating: 7, count: 32),
                     leaseMillis: 10_000, registeredAtMillis: 10_000, expiresAtMillis: expires, detail: detail)
    }

    static func request(lease: UInt64 = 10_000, id: String = "validator-1", nodeKey: [UInt8] = []) -> RegisterRequest {
        RegisterRequest(kind: .validator, id: id, address: "[::1]:7101", certificateFingerprint: fp, nodeKey: nodeKey,
                        leaseMillis: lease, detail: "citychain 0.1")
    }

    @Test func roundTrips() throws {
        let e = Self.entry()
        #expect(try ServiceEntry(canonicalBytes: e.canonicalBytes) == e)
        let r = Self.request()
        #expect(try RegisterRequest(canonicalBytes: r.canonicalBytes) == r)
        let h = HeartbeatRequest(kind: .indexer, id: "indexer-1")
        #expect(try HeartbeatRequest(canonicalBytes: h.canonicalBytes) == h)
        for q in [LookupRequest(), LookupRequest(kind: .gateway)] { #expect(try LookupRequest(canonicalBytes: q.canonicalBytes) == q) }
        let a = LookupAnswer(registryTimeMillis: 5, revision: 9, entries: [Self.entry("b"), Self.entry("a"), Self.entry("a", kind: .indexer)])
        #expect(a.entries.map(\.key.description) == ["validator/a", "validator/b", "indexer/a"])
        #expect(try LookupAnswer(canonicalBytes: a.canonicalBytes) == a)
        let events: [WatchEvent] = [.snapshot(a), .added(Self.entry()), .updated(Self.entry()),
                                    .removed(ServiceKey(kind: .gateway, id: "g"), .expired), .removed(ServiceKey(kind: .gateway, id: "g"), .deregistered),
                                    .keepalive(registryTimeMillis: 1, revision: 2)]
        for ev in events { #expect(try WatchEvent(canonicalBytes: ev.canonicalBytes) == ev) }
        for k in ServiceKind.allCases {
            #expect(ServiceKind(role: k.role) == k)
            #expect(ServiceKind(name: k.description) == k)
        }
        #expect(ServiceKind(role: .admin) == nil && ServiceKind(role: .agency("x")) == nil)
    }

    @Test func leaseBoundsAreChecked() throws {
        for lease in [UInt64(0), 999, 300_001, .max] {
            #expect(throws: CodecError.self, "lease \(lease)") { try Self.request(lease: lease).validated() }
        }
        for lease in [UInt64(1_000), 300_000] { #expect(try Self.request(lease: lease).validated().leaseMillis == lease) }
    }

    @Test func malformedInputIsRefused() throws {
        func refuses<T: CanonicalDecodable>(_: T.Type, _ bytes: [UInt8], _ code: CodecError.Code, _ note: Comment) {
            do {
                _ = try T(canonicalBytes: bytes)
                Issue.record("accepted: \(note)")
            } catch {
                #expect(error.code == code, note)
            }
        }
        let good = Self.request().canonicalBytes
        refuses(RegisterRequest.self, Array(good.dropLast()), .truncated, "truncated")
        refuses(RegisterRequest.self, good + [0], .trailingBytes, "trailing byte")
        refuses(RegisterRequest.self, [9] + good.dropFirst(), .unknownTag, "kind 9")
        refuses(RegisterRequest.self, Self.request(id: "").canonicalBytes, .invalidValue, "empty id")
        refuses(RegisterRequest.self, Self.request(id: "has space").canonicalBytes, .invalidValue, "id with a space")
        refuses(RegisterRequest.self, Self.request(id: String(repeating: "a", count: 65)).canonicalBytes, .overLimit, "id of 65 bytes")
        refuses(RegisterRequest.self, Self.request(nodeKey: [1, 2, 3]).canonicalBytes, .invalidValue, "node key of 3 bytes")
        var badAddress = Self.request()
        badAddress.address = "localhost"
        refuses(RegisterRequest.self, badAddress.canonicalBytes, .invalidValue, "address without a port")
        badAddress.address = "h:0"
        refuses(RegisterRequest.self, badAddress.canonicalBytes, .invalidValue, "port 0")
        var longDetail = Self.request()
        longDetail.detail = String(repeating: "d", count: 257)
        refuses(RegisterRequest.self, longDetail.canonicalBytes, .overLimit, "detail of 257 bytes")
        refuses(LookupRequest.self, [2], .nonCanonical, "optional marker 2")
        refuses(WatchEvent.self, [5], .unknownTag, "event tag 5")
        refuses(WatchEvent.self, [3, 1, 0, 0, 0, 1, 0x61, 2], .unknownTag, "removal reason 2")
        // A count over the limit is refused before anything is allocated.
        refuses(LookupAnswer.self, Array(repeating: 0, count: 16) + [0xff, 0xff, 0xff, 0xff], .overLimit, "4 billion entries")
        let unsorted = LookupAnswer(registryTimeMillis: 0, revision: 0, entries: [Self.entry("a")])
        var w = CanonicalWriter()
        w.u64(0); w.u64(0); w.array([Self.entry("b"), Self.entry("a")])
        refuses(LookupAnswer.self, w.bytes, .nonCanonical, "unsorted entries")
        var dup = CanonicalWriter()
        dup.u64(0); dup.u64(0); dup.array([Self.entry("a"), Self.entry("a")])
        refuses(LookupAnswer.self, dup.bytes, .nonCanonical, "a duplicate entry")
        #expect(try LookupAnswer(canonicalBytes: unsorted.canonicalBytes) == unsorted)
    }

    @Test func diffNamesAddsUpdatesAndRemovalsButNotRenewals() {
        let a = Self.entry("a", expires: 20_000), b = Self.entry("b", expires: 20_000), c = Self.entry("c", expires: 15_000)
        let old = [a.key: a, b.key: b, c.key: c]
        var renewedA = a
        renewedA.expiresAtMillis = 30_000
        var movedB = b
        movedB.address = "127.0.0.1:9999"
        let d = Self.entry("d")
        let new = [a.key: renewedA, b.key: movedB, d.key: d]
        // c's lease ran out at 15 000, the snapshot is at 16 000: expired.
        #expect(DirectoryDiff.events(from: old, to: new, nowMillis: 16_000) == [.updated(movedB), .removed(c.key, .expired), .added(d)])
        // Before its expiry, a missing entry was removed by its service.
        #expect(DirectoryDiff.events(from: old, to: new, nowMillis: 14_000) == [.updated(movedB), .removed(c.key, .deregistered), .added(d)])
        #expect(DirectoryDiff.events(from: old, to: old, nowMillis: 0).isEmpty)
        var state: [ServiceKey: ServiceEntry] = [:]
        DirectoryDiff.apply(.snapshot(LookupAnswer(registryTimeMillis: 0, revision: 1, entries: Array(old.values))), to: &state)
        for e in DirectoryDiff.events(from: old, to: new, nowMillis: 16_000) { DirectoryDiff.apply(e, to: &state) }
        DirectoryDiff.apply(.keepalive(registryTimeMillis: 1, revision: 1), to: &state)
        #expect(Set(state.keys) == Set(new.keys))
        #expect(state[b.key] == movedB)
    }

    @Test func onlyTheMatchingRoleRegistersAsItself() throws {
        let hex = Self.fp.hex
        let validator = PeerIdentity(role: .validator, name: "validator-1", fingerprint: hex)
        try RegistryService.authorize(Self.request(), peer: validator)
        func refused(_ peer: PeerIdentity, _ r: RegisterRequest, _ words: String) {
            do {
                try RegistryService.authorize(r, peer: peer)
                Issue.record("\(peer) was allowed to register \(r.key)")
            } catch {
                #expect(error.code == .forbidden)
                #expect(error.message.contains(words), "\(error.message)")
            }
        }
        refused(PeerIdentity(role: .gateway, name: "validator-1", fingerprint: hex), Self.request(), "only as kind gateway")
        refused(PeerIdentity(role: .agency("tax-office"), name: "validator-1", fingerprint: hex), Self.request(), "cannot register")
        refused(PeerIdentity(role: .admin, name: "validator-1", fingerprint: hex), Self.request(), "cannot register")
        refused(PeerIdentity(role: .validator, name: "validator-2", fingerprint: hex), Self.request(), "certificate's name")
        refused(PeerIdentity(role: .validator, name: "validator-1", fingerprint: Hash32.sha256([1]).hex), Self.request(), "fingerprint")
    }

    /// Seeded mutations of valid encodings: every decoder either refuses with a CodecError or
    /// returns a value whose encoding is exactly the input (one encoding per value).
    @Test func mutatedInputDecodesCanonicallyOrNotAtAll() {
        var rng = SplitMix64(seed: 0x5EED_0405)
        let seeds: [(String, [UInt8], ([UInt8]) throws -> [UInt8])] = [
            ("RegisterRequest", Self.request(nodeKey: Array(repeating: 3, count: 32)).canonicalBytes, { try RegisterRequest(canonicalBytes: $0).canonicalBytes }),
            ("ServiceEntry", Self.entry().canonicalBytes, { try ServiceEntry(canonicalBytes: $0).canonicalBytes }),
            ("LookupAnswer", LookupAnswer(registryTimeMillis: 1, revision: 2, entries: [Self.entry("a"), Self.entry("b", kind: .gateway)]).canonicalBytes,
             { try LookupAnswer(canonicalBytes: $0).canonicalBytes }),
            ("WatchEvent", WatchEvent.removed(ServiceKey(kind: .indexer, id: "i-1"), .expired).canonicalBytes, { try WatchEvent(canonicalBytes: $0).canonicalBytes }),
            ("HeartbeatRequest", HeartbeatRequest(kind: .registry, id: "r").canonicalBytes, { try HeartbeatRequest(canonicalBytes: $0).canonicalBytes }),
        ]
        for (name, valid, roundTrip) in seeds {
            var decoded = 0
            for _ in 0..<2_000 {
                var bytes = valid
                for _ in 0...Int(rng.next() % 3) {
                    switch rng.next() % 3 {
                    case 0 where !bytes.isEmpty: bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                    case 1 where !bytes.isEmpty: bytes.removeSubrange(Int(rng.next() % UInt64(bytes.count))...)
                    default: bytes.append(UInt8(truncatingIfNeeded: rng.next()))
                    }
                }
                do {
                    #expect(try roundTrip(bytes) == bytes, "\(name): \(Hex.encode(bytes)) decoded to another encoding")
                    decoded += 1
                } catch {
                    #expect(error is CodecError, "\(name): \(error)")
                }
            }
            #expect(decoded < 2_000, "\(name): every mutation decoded")
        }
    }

    @Test func watchesAreBoundedInAllAndPerCertificate() throws {
        var a = WatchAdmission(maxWatches: 3, maxWatchesPerPeer: 2)
        try a.admit("p")
        try a.admit("p")
        #expect(throws: WireError.self) { try a.admit("p") }
        try a.admit("q")
        #expect(throws: WireError.self) { try a.admit("r") }
        a.release("p")
        #expect(a.total == 2 && a.open(for: "p") == 1)
        try a.admit("r")
        #expect(a.total == 3 && a.open(for: "r") == 1)
    }
}

