import CityChainAPI
import CityConsensus
import CityLedger

/// Everything that tunes one validator process, validated once at start (`ValidatorCommand` reads it
/// from flags, the config file and the environment). Timeouts must agree across the chain's validators; the rest is local.
package struct ValidatorSettings: Sendable {
    /// The node's certificate name (logs, status, gossip subscriptions).
    package var name: String
    /// This node's wire address as peers should dial it ("" when it cannot be dialled).
    package var advertise: String
    /// Addresses (HOST:PORT) of the validators to gossip with.
    package var peers: [String]
    /// Block size and timing.
    package var policy: BlockPolicy
    /// Mempool bounds.
    package var mempool: MempoolLimits
    /// Consensus timeouts and bounds.
    package var consensus: ConsensusConfig
    /// Committed transactions whose place the validator remembers for status queries.
    package var maxRememberedCommits: Int = 1_000_000
    /// Recent committed blocks kept encoded in memory for the commit stream and block sync.
    package var maxCachedBlocks: Int = 64
    /// Blocks asked for per block-sync request.
    package var syncBatchBlocks: UInt32 = 64
    /// Period of the "my committed height" gossip that lets lagging peers notice and sync, in ms.
    package var announceMillis: UInt64 = 1000
    /// A ledger snapshot is written every this many heights (0: never), so a restart replays at
    /// most this many blocks (docs/STORAGE.md, "Snapshots").
    package var snapshotEveryBlocks: UInt64 = 1000
    /// Blocks kept below the head (0: all, an archive node). Older ones are pruned after each
    /// snapshot, never above the older of the two snapshots kept (docs/STORAGE.md, "Pruning").
    package var retainBlocks: UInt64 = 0
    /// The operator says the sign record is lost (`--sign-record-lost`): start without it even though
    /// the block log shows this validator has signed (`SignRecordGuard`).
    package var signRecordLost = false
    /// Blocks behind the best peer a validator may be and still answer /readyz with 200.
    package var readyMaxLagBlocks: UInt64 = 2
    /// Gossip items queued per subscriber before the oldest are dropped.
    package var maxGossipQueueItems: Int = 16_384
    /// Misbehaviour for tests; never set from configuration.
    package var faults = ValidatorFaults()

    /// Settings from their parts; `check` says whether they can run.
    package init(name: String, advertise: String, peers: [String], policy: BlockPolicy, mempool: MempoolLimits,
                 consensus: ConsensusConfig) {
        self.name = name
        self.advertise = advertise
        self.peers = peers
        self.policy = policy
        self.mempool = mempool
        self.consensus = consensus
    }

    /// Whether a real validator would do this: tests turn parts off to play a faulty peer.
    package struct ValidatorFaults: Sendable {
        /// Gossip admitted transactions to peers (off: peers see them only through proposals).
        package var gossipsTransactions = true
        /// Answer peers' requests for the transactions of its proposals (off: a withholding proposer).
        package var servesProposalTransactions = true
        package init() {}
    }

    /// Why these settings cannot run, naming the setting, or nil.
    package func problem() -> String? {
        if policy.maxBlockBytes + 256 * 1024 > ValidatorAPI.maxCertifiedBlockBytes {
            return "block.maxBytes \(policy.maxBlockBytes) leaves no room for the header and certificate under the \(ValidatorAPI.maxCertifiedBlockBytes)-byte stream item; use at most \(ValidatorAPI.maxCertifiedBlockBytes - 256 * 1024)"
        }
        if maxRememberedCommits < 1 || maxCachedBlocks < 1 || maxGossipQueueItems < 1 { return "memory bounds must be at least 1" }
        if !(1...ValidatorAPI.maxBlocksPerRequest).contains(syncBatchBlocks) {
            return "sync batch \(syncBatchBlocks) is not in 1...\(ValidatorAPI.maxBlocksPerRequest)"
        }
        return nil
    }
}
