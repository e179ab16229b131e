import CityEncoding

// TEMPORARY stand-in for CityMerkle until branch `merkle` lands; deleted at merge.
struct StateProof: Hashable, Sendable {
    var all: [Hash32: [UInt8]]
    func verify(key: Hash32, value: [UInt8]?, root: Hash32) -> Bool {
        StateTree(map: all).root == root && all[key] == value
    }
}

struct StateTree: Sendable {
    var map: [Hash32: [UInt8]] = [:]
    init() {}
    init(map: [Hash32: [UInt8]]) { self.map = map }
    var root: Hash32 {
        var parts: [[UInt8]] = []
        for k in map.keys.sorted() { parts.append(k.bytes); parts.append(Hash32.sha256(map[k]!).bytes) }
        return Hash32.sha256(parts: parts)
    }
    func value(for key: Hash32) -> [UInt8]? { map[key] }
    mutating func apply(_ updates: [(key: Hash32, value: [UInt8]?)]) { for u in updates { map[u.key] = u.value } }
    func prove(_ key: Hash32) -> StateProof { StateProof(all: map) }
    func entries() -> [(key: Hash32, value: [UInt8])] { map.keys.sorted().map { ($0, map[$0]!) } }
}

enum MerkleTree {
    static func root(leaves: [[UInt8]]) -> Hash32 {
        Hash32.sha256(parts: leaves.map { Hash32.sha256([0] + $0).bytes })
    }
}
