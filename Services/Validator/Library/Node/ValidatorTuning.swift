import ArgumentParser
import CityConsensus
import CityLedger
import CityNode

/// The validator's block, mempool and consensus settings: flags filled in from the YAML config
/// file and the `CITYCHAIN_*` environment like every other key (`ConfiguredCommand`, docs/CONFIG.md;
/// keys in `ValidatorCommand.configSchema`). Defaults are the schema's.
package struct ValidatorTuning: ParsableArguments, Sendable {
    @Option(help: "Milliseconds between blocks when transactions are pending (config key: block.intervalMillis).")
    package var blockIntervalMs: UInt64 = 0
    @Option(help: "Most transactions in a block, at most 10000 (config key: block.maxTransactions).")
    package var blockMaxTransactions: Int = 5000
    @Option(help: "Most bytes in a block, at least 65536 (config key: block.maxBytes).")
    package var blockMaxBytes: Int = 3 * 1024 * 1024
    @Option(help: "Milliseconds between empty blocks when idle, at least --block-interval-ms (config key: block.heartbeatMillis).")
    package var blockHeartbeatMs: UInt64 = 10_000
    @Option(help: "How far ahead of this validator's clock a proposal's time may be, ms (config key: block.maxClockDriftMillis).")
    package var blockMaxClockDriftMs: UInt64 = 2000
    @Option(help: "Most transactions the mempool holds (config key: mempool.maxTransactions).")
    package var mempoolMaxTransactions: Int = 50_000
    @Option(help: "Most bytes the mempool holds (config key: mempool.maxBytes).")
    package var mempoolMaxBytes: Int = 268_435_456
    @Option(help: "Most transactions held for one signing agency (config key: mempool.maxPerSigner).")
    package var mempoolMaxPerSigner: Int = 5000
    @Option(help: "Propose timeout of round 0, ms; every validator of a chain should use the same timeouts (config key: consensus.proposeBaseMillis).")
    package var consensusProposeBaseMs: UInt64 = 3000
    @Option(help: "Added to the propose timeout per round, ms (config key: consensus.proposeDeltaMillis).")
    package var consensusProposeDeltaMs: UInt64 = 500
    @Option(help: "Prevote timeout of round 0, ms (config key: consensus.prevoteBaseMillis).")
    package var consensusPrevoteBaseMs: UInt64 = 1000
    @Option(help: "Added to the prevote timeout per round, ms (config key: consensus.prevoteDeltaMillis).")
    package var consensusPrevoteDeltaMs: UInt64 = 500
    @Option(help: "Precommit timeout of round 0, ms (config key: consensus.precommitBaseMillis).")
    package var consensusPrecommitBaseMs: UInt64 = 1000
    @Option(help: "Added to the precommit timeout per round, ms (config key: consensus.precommitDeltaMillis).")
    package var consensusPrecommitDeltaMs: UInt64 = 500
    @Option(help: "Milliseconds between rebroadcasts of this validator's latest messages (config key: consensus.rebroadcastMillis).")
    package var consensusRebroadcastMs: UInt64 = 2000

    @Option(help: "Blocks behind the best height its peers report a validator may be and still be ready (/readyz 200) (config key: ready.maxLagBlocks).")
    package var readyMaxLagBlocks: UInt64 = 2
    @Option(help: "Write a snapshot of the ledger state every N blocks, 0 for none; nodes that state-sync start from them (config key: snapshot.everyBlocks).")
    package var snapshotEveryBlocks: UInt64 = 1000
    @Option(help: "Keep only the last N blocks (pruned after each snapshot; 0: keep all, an archive node) (config key: block.retainBlocks).")
    package var retainBlocks: UInt64 = 0

    package init() {}

    /// The block policy; a bad combination names the keys.
    package func blockPolicy() throws -> BlockPolicy {
        guard (1...LedgerLimits.maxTransactionsPerBlock).contains(blockMaxTransactions) else {
            throw ValidationError("block.maxTransactions \(blockMaxTransactions) must be in 1...\(LedgerLimits.maxTransactionsPerBlock)")
        }
        guard blockMaxBytes >= LedgerLimits.maxTransactionBytes else {
            throw ValidationError("block.maxBytes \(blockMaxBytes) must be at least one transaction's limit, \(LedgerLimits.maxTransactionBytes)")
        }
        guard blockHeartbeatMs >= blockIntervalMs else {
            throw ValidationError("block.heartbeatMillis \(blockHeartbeatMs) must be at least block.intervalMillis \(blockIntervalMs)")
        }
        return BlockPolicy(maxTransactionsPerBlock: blockMaxTransactions, maxBlockBytes: blockMaxBytes, blockIntervalMillis: blockIntervalMs,
                           heartbeatIntervalMillis: blockHeartbeatMs, maxClockDriftMillis: blockMaxClockDriftMs)
    }

    /// The mempool bounds.
    package func mempoolLimits() throws -> MempoolLimits {
        guard mempoolMaxTransactions > 0, mempoolMaxBytes > 0, mempoolMaxPerSigner > 0 else {
            throw ValidationError("mempool.maxTransactions, mempool.maxBytes and mempool.maxPerSigner must be positive")
        }
        return MempoolLimits(maxTransactions: mempoolMaxTransactions, maxBytes: mempoolMaxBytes, maxPerSigner: mempoolMaxPerSigner)
    }

    /// The consensus timeouts.
    package func consensusConfig(chainID: String) throws -> ConsensusConfig {
        var c = ConsensusConfig(chainID: chainID)
        c.proposeBaseMillis = consensusProposeBaseMs
        c.proposeDeltaMillis = consensusProposeDeltaMs
        c.prevoteBaseMillis = consensusPrevoteBaseMs
        c.prevoteDeltaMillis = consensusPrevoteDeltaMs
        c.precommitBaseMillis = consensusPrecommitBaseMs
        c.precommitDeltaMillis = consensusPrecommitDeltaMs
        c.rebroadcastMillis = consensusRebroadcastMs
        guard c.proposeBaseMillis > 0, c.prevoteBaseMillis > 0, c.precommitBaseMillis > 0, c.rebroadcastMillis > 0 else {
            throw ValidationError("consensus.*BaseMillis and consensus.rebroadcastMillis must be positive")
        }
        return c
    }
}
