import ArgumentParser
import CityChainAPI
import CityEncoding
import CityLedger
import CityNode
import CityWire
import Foundation

/// What a client command trusts, and the validator sets it follows from there: the genesis, or a
/// block given by height and hash. Answers are checked with the set in force at their own height,
/// reached by checking each certified validator-set change (`TrustedValidatorSets`), so agencies'
/// commands keep verifying after validators are promoted or removed. The sets followed so far are
/// kept in a cache file, so saved answers verify offline (`citychain verify`).
struct TrustOptions: ParsableArguments {
    @Option(help: "The chain's genesis file: proofs are checked against the validator set in force at each answer's height, followed from the genesis set through every certified validator-set change.")
    var genesis: String?
    @Option(help: "Trust block H (with --trust-hash) instead of the genesis: proofs of blocks from H on are checked from there.")
    var trustHeight: UInt64?
    @Option(help: "The hash (hex) of block --trust-height, from a source you trust (citychain status on a validator you run, your operator).")
    var trustHash: String?
    @Option(help: "The file that keeps the validator sets followed so far (default: $XDG_CACHE_HOME or ~/.cache, citychain/sets-…).")
    var trustCache: String?

    /// Sends one validator-set query and returns the answer.
    typealias Fetch = (ValidatorChangesQuery) async throws -> ValidatorChangesAnswer

    /// True when proofs are to be checked.
    var enabled: Bool { genesis != nil || trustHeight != nil }

    /// The trusted block named by --trust-height/--trust-hash, if any.
    func anchor() throws -> (height: UInt64, hash: Hash32)? {
        switch (trustHeight, trustHash) {
        case (nil, nil): return nil
        case let (h?, x?):
            guard let hash = Hash32(hex: x) else { throw ValidationError("--trust-hash '\(x)' must be 64 hex digits (a block hash)") }
            guard h >= 1 else { throw ValidationError("--trust-height must be at least 1 (height 0 is the genesis: give --genesis)") }
            return (h, hash)
        default: throw ValidationError("give --trust-height and --trust-hash together (a block's height and its hash)")
        }
    }

    /// The sets as far as this machine knows them, without the network: the cache, or the genesis
    /// alone; nil when nothing is trusted. A trust anchor that has never been fetched is an error.
    func offline() throws -> TrustedValidatorSets? {
        guard enabled else { return nil }
        let start = try startingPoint()
        if let cached = try loadCache(path: start.path), cached.anchorHeight == start.height, cached.anchorHash == start.hash { return cached }
        if let genesisSets = start.genesisSets { return genesisSets }
        throw ValidationError("block \(start.height) has not been fetched on this machine yet: run an online command (citychain query … --trust-height \(start.height) --trust-hash …) first")
    }

    /// The sets brought up to the server's head with `fetch`, and saved; nil when nothing is trusted.
    func online(fetch: Fetch) async throws -> TrustedValidatorSets? {
        guard enabled else { return nil }
        let start = try startingPoint()
        var sets: TrustedValidatorSets
        if let cached = try loadCache(path: start.path), cached.anchorHeight == start.height, cached.anchorHash == start.hash {
            sets = cached
            try await sets.refresh(fetch: fetch)
        } else if var genesisSets = start.genesisSets {
            try await genesisSets.refresh(fetch: fetch)
            sets = genesisSets
        } else {
            sets = try await TrustedValidatorSets.anchored(height: start.height, hash: start.hash, fetch: fetch)
        }
        try save(sets, path: start.path)
        return sets
    }

    /// Runs `check` with the sets fetched through `fetch`; when the answer is newer than the sets the
    /// server could prove (a gateway may ask a lagging indexer), fetches again, a few times.
    func verify<T>(fetch: Fetch, _ check: (TrustedValidatorSets) throws -> T) async throws -> T? {
        guard var sets = try await online(fetch: fetch) else { return nil }
        for attempt in 1...4 {
            do { return try check(sets) } catch let e as ProofFailure where e.needsSetsThrough != nil && attempt < 4 {
                // Not synchronisation in a test: a real server behind a gateway catching up.
                try await Task.sleep(for: .milliseconds(250 * attempt))
                try await sets.refresh(fetch: fetch)
                try save(sets, path: try startingPoint().path)
            }
        }
        return nil   // not reached: the last attempt returns or throws
    }

    /// The fetch of validator-set changes on `conn` (an indexer, or a gateway, which relays it).
    static func fetch(on conn: WireConnection) -> Fetch {
        { q in try ValidatorChangesAnswer(canonicalBytes: try await conn.request(IndexerAPI.validatorChanges, q.canonicalBytes)) }
    }

    private struct Start {
        var height: UInt64
        var hash: Hash32
        var genesisSets: TrustedValidatorSets?
        var path: String
    }

    private func startingPoint() throws -> Start {
        if let (h, x) = try anchor() {
            return Start(height: h, hash: x, genesisSets: nil, path: try cachePath("sets-\(h)-\(x.hex.prefix(16)).bin"))
        }
        guard let genesis else { throw ValidationError("give --genesis FILE, or --trust-height and --trust-hash") }
        let sets: TrustedValidatorSets
        do { sets = try TrustedValidatorSets(genesis: try Genesis.load(path: genesis, flag: "--genesis")) } catch let e as ProofFailure {
            throw ValidationError("--genesis \(genesis): \(e.message)")
        }
        return Start(height: 0, hash: sets.anchorHash, genesisSets: sets, path: try cachePath("sets-\(sets.chainID)-\(sets.anchorHash.hex.prefix(16)).bin"))
    }

    private func cachePath(_ name: String) throws -> String {
        if let trustCache { return trustCache }
        let env = ProcessInfo.processInfo.environment
        guard let base = env["XDG_CACHE_HOME"].flatMap({ $0.isEmpty ? nil : $0 }) ?? env["HOME"].map({ $0 + "/.cache" }) else {
            throw ValidationError("no cache directory (HOME is not set): give --trust-cache FILE")
        }
        return base + "/citychain/" + name
    }

    private func loadCache(path: String) throws -> TrustedValidatorSets? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do { return try TrustedValidatorSets(canonicalBytes: Array(data)) } catch {
            FileHandle.standardError.write(Data("citychain: ignoring the validator-set cache \(path): \(error); it is fetched again\n".utf8))
            return nil
        }
    }

    private func save(_ sets: TrustedValidatorSets, path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try Data(sets.canonicalBytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
