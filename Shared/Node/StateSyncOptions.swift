import ArgumentParser
import CityChainAPI
import CityEncoding
import CityWire

/// `--state-sync` and its trust flags, for every service that can start from the validators'
/// snapshots instead of block 1 (validators and observers, indexers).
package struct StateSyncOptions: ParsableArguments, Sendable {
    @Flag(help: "When nothing is stored yet, start from a validator's snapshot instead of replaying from height 1: checked against the genesis validator set, or against --trust-height/--trust-hash (docs/OPERATIONS.md, \"Starting a node from a snapshot\"). Ignored once something is stored.")
    package var stateSync = false
    @Option(help: "With --state-sync: trust block H (with --trust-hash), e.g. the latest height of 'citychain status'; the snapshot must be at or below it.")
    package var trustHeight: UInt64?
    @Option(help: "With --state-sync: the hash of the block at --trust-height (64 hex digits).")
    package var trustHash: String?
    @Option(help: "With --state-sync: HOST:PORT of an indexer of this chain, which proves the validator-set changes since genesis; the snapshot's block must be certified by the set they lead to (needed once the set has changed, instead of --trust-height/--trust-hash).")
    package var trustChangesFrom: String?

    package init() {}

    /// The trust of `--state-sync` (the genesis without the trust flags); nil without `--state-sync`.
    package func trust() throws -> StateSyncTrust? {
        let trust: StateSyncTrust
        switch (trustHeight, trustHash) {
        case (nil, nil):
            if let address = trustChangesFrom {
                guard let hp = HostPort(address), hp.port > 0 else {
                    throw ValidationError("--trust-changes-from '\(address)' must be HOST:PORT of an indexer (e.g. 10.0.0.21:7301)")
                }
                trust = .genesisThroughChanges(from: hp)
            } else {
                trust = .genesis
            }
        case let (h?, x?):
            guard h >= 1 else { throw ValidationError("--trust-height is at least 1 (height 0 is the genesis: leave both trust flags out)") }
            guard let hash = Hash32(hex: x) else { throw ValidationError("--trust-hash '\(x)' must be 64 hex digits (a block hash, e.g. from citychain status --output json)") }
            trust = .block(height: h, hash: hash)
        default: throw ValidationError("give --trust-height and --trust-hash together (a block's height and its hash)")
        }
        if trustChangesFrom != nil, trustHeight != nil {
            throw ValidationError("give either --trust-height/--trust-hash (a block you trust) or --trust-changes-from (trust carried from the genesis), not both")
        }
        guard stateSync else {
            if trustHeight != nil || trustChangesFrom != nil {
                throw ValidationError("--trust-height/--trust-hash/--trust-changes-from are for --state-sync; add it, or leave them out")
            }
            return nil
        }
        return trust
    }
}
