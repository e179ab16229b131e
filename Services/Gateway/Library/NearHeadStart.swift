import CityChainAPI
import CityLedger
import CityWire
import Logging

/// The gateway's start near the head (issue 14 item 5): instead of replaying the chain from
/// block 1 to learn the agencies' keys, ask one indexer for its proven starting state
/// (`indexer.startingState`) and the validator-set changes since the genesis, check the answer
/// against the genesis (every set change in its certified block, then the answer's header and its
/// state proofs), and follow from that height. Nothing the indexer says is trusted unchecked; when
/// no indexer answers in time, or an answer does not verify, the watch follows from block 1.
enum NearHeadStart {
    /// The verified starting point, or nil (logged) to follow from the genesis.
    static func fetch(genesis: Genesis, indexers: UpstreamPool, discovering: Bool, wait: Duration,
                      logger: Logger) async -> ChainWatch.StartingPoint? {
        guard !indexers.addresses.isEmpty || discovering else { return nil }   // no indexer will come
        let deadline = ContinuousClock.now + wait
        var picked = indexers.anyConnection()
        while picked == nil, ContinuousClock.now < deadline {
            do { try await Task.sleep(for: .milliseconds(50)) } catch { return nil }   // the indexers' keepers are connecting
            picked = indexers.anyConnection()
        }
        guard let (address, conn) = picked else {
            logger.notice("no indexer answered within \(wait): following the chain from block 1 for the agencies' keys")
            return nil
        }
        do {
            let answer = try StartingStateAnswer(canonicalBytes: try await conn.request(IndexerAPI.startingState, [], timeout: .seconds(10)))
            var sets = try TrustedValidatorSets(genesis: genesis)
            try await sets.refresh { q in
                try ValidatorChangesAnswer(canonicalBytes: try await conn.request(IndexerAPI.validatorChanges, q.canonicalBytes, timeout: .seconds(10)))
            }
            try answer.verify(validatorSet: sets)
            logger.info("proven starting state from an indexer", metadata: [
                "indexer": "\(address)", "height": "\(answer.at.height)", "agencies": "\(answer.agencies.count)"])
            return ChainWatch.StartingPoint(tracker: answer.tracker, keys: KeyDirectory(agencies: answer.agencies.map(\.entry), height: answer.at.height,
                                                                                          revoked: answer.revoked),
                                            sets: sets)
        } catch {
            logger.warning("cannot start near the head from the indexer's starting state: following the chain from block 1",
                           metadata: ["indexer": "\(address)", "error": "\(error)"])
            return nil
        }
    }
}
