import CityChainAPI
import CityNode
import CityConsensus
import CityEncoding
import CityLedger
import CityWire
import Dispatch
import Foundation
import Logging
@preconcurrency import Crypto

/// One validator's chain, consensus and mempool: the actor that wires the pure cores (consensus,
/// ledger state, mempool, block policy) to storage (block log, sign record) and to the engine that
/// moves messages and runs timers. Every method runs to completion without suspending, so the
/// consensus core sees one event at a time, and storage writes happen in the order actions demand.
package actor ValidatorNode {
    package let settings: ValidatorSettings
    let logger: Logger
    let hub: GossipHub
    let commands: AsyncStream<EngineCommand>.Continuation
    let clock: @Sendable () -> UInt64
    /// Monotonic time for durations (height latency, rebuild time); manual in tests.
    nonisolated let monotonic: MonotonicClock
    let log: BlockLog
    let signStore: SignRecordStore
    /// The key consensus signs with (an observer's key is not in the set, so it never signs).
    package nonisolated let publicKey: PublicKey
    package nonisolated let chainID: String
    /// The snapshot height the state was restored from at start (nil: replayed from genesis).
    package nonisolated let restoredFromSnapshot: UInt64?
    /// Where snapshots are written.
    package nonisolated let snapshotDirectory: String

    var state: LedgerState
    var tip: ChainTip
    var core: ConsensusCore<Block>
    var mempool: Mempool
    /// Equivocation evidence waiting for a block.
    var evidence = EvidencePool()
    /// Blocks of the height being decided that this node built or validated, by id.
    var executed: [Hash32: ExecutedBlock] = [:]
    /// Blocks this node proposed or validated lately, by id: what it answers followers of a
    /// compact proposal with (`proposalTransactions`), across a commit.
    var proposedBlocks = BoundedFIFOMap<Hash32, Block>(capacity: 16)
    var lastCertificate: CommitCertificate?
    /// True while the core runs height `tip.height + 1`.
    var running = false
    /// When the pending gate check fires (node clock, ms); nil: none pending.
    var gateDue: UInt64?
    var halted: String?
    var queue: [ConsensusEvent<Block>] = []
    var draining = false
    var txIndex: TxIndex
    /// The last `maxCachedBlocks` certified blocks, encoded once for every stream and sync request.
    var recentBlocks: BoundedFIFOMap<UInt64, [UInt8]>
    /// Erasures committed whose payloads the block log still holds (`ValidatorNode+Erasure`).
    var pendingErasures: PendingErasures
    /// Whether one erasure's search or rewrite is under way (one at a time: its reader must not
    /// see a record the node is rewriting).
    var erasureRunning = false
    /// Set by `close()`: storage is shut, nothing more is written.
    var closed = false
    /// Where an erasure's search of the block log runs (reads many records; never on the actor).
    nonisolated let erasureQueue = DispatchQueue(label: "citychain.validator.erasure", qos: .utility)
    /// Commit notifications for streams and waiters (usable without the actor).
    package nonisolated let heights = HeightWatchers()
    /// Transactions whose signatures this node verified, so each is verified once however it arrives.
    package nonisolated let verifiedSignatures = VerifiedSignatures()
    /// Gossiped transactions still in a peer intake's verification stage (compact proposals use them).
    package nonisolated let gossipPending = GossipPending()
    /// Certificates revoked on chain, kept current at each commit: the wire server refuses them.
    package nonisolated let revocations = CertificateRevocations()
    /// Whether client submissions are refused now (backpressure), read by the routes without a hop.
    package nonisolated let admission = AdmissionGate()
    /// The committed rate that bounds admission.
    var admissionControl = AdmissionControl()
    var peerHeights: [String: UInt64] = [:]
    /// When each peer's gossip last reached this node (any item): block sync asks peers heard from lately first.
    var peerHeard: [String: Duration] = [:]
    var connectedPeers: Set<String> = []
    var evidenceSeen: UInt64 = 0
    /// True when this process started without a sign record (a first start, a wiped disk, state
    /// sync; not with `--sign-record-lost`): a certificate holding this key's signature at a height this
    /// life has not signed shows an earlier life did, so the core's `signFloor` rises above it
    /// (issue 18 item 5: a validator that rejoins on a new disk never signs where it may have).
    var earlierLifeWatch = false
    /// The first height this process signed at (nil: none yet).
    var firstSignedHeight: UInt64?
    /// Heights above the last one an earlier life is seen to have signed that are not signed either:
    /// the earlier life may have voted there without its vote reaching a certificate.
    package static let signFloorMargin: UInt64 = 2
    /// When this node started the height in progress (commit latency), and whether `start()` ran (readiness).
    var heightStartedAt: Duration?
    var started = false
    /// Signed messages waiting, in order, for a sync of the sign record that covers them.
    var held: [HeldMessage] = []
    /// Where the sign record's and the block log's syncs run (they block on the disk, never the
    /// actor; two queues, so a vote's sync never waits behind a block's).
    nonisolated let signSyncQueue = DispatchQueue(label: "citychain.validator.sign-sync")
    nonisolated let logSyncQueue = DispatchQueue(label: "citychain.validator.log-sync")
    /// Runs one sync on those queues (`FileSync.run`; tests hold or fail it).
    nonisolated let runSync: @Sendable (FileSync) throws(BlockStoreError) -> Void

    /// Opens the data directory (block log, sign record), rebuilds the state from the log and
    /// restores consensus from the last sign record. `signer` is the consensus key (nil: observer).
    package init(settings: ValidatorSettings, genesis: Genesis, dataDirectory: String, signer: (any ConsensusSigner)?,
                 hub: GossipHub, commands: AsyncStream<EngineCommand>.Continuation, logger: Logger,
                 installed: LedgerState? = nil,
                 clock: @escaping @Sendable () -> UInt64 = ValidatorNode.wallClockMillis, monotonic: MonotonicClock = .system,
                 runSync: @escaping @Sendable (FileSync) throws(BlockStoreError) -> Void = { try $0.run() }) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let log = try BlockLog.open(path: dataDirectory + "/blocks.log", chainID: genesis.chainID, genesisHash: genesis.hash,
                                    logger: logger)
        let started = monotonic.now
        let snapshotDirectory = dataDirectory + "/snapshots"
        let snapshots = try SnapshotStore.open(directory: snapshotDirectory, logger: logger)
        let recovered = try ChainRecovery.rebuild(genesis: genesis, log: log, snapshots: snapshots, installed: installed, logger: logger)
        let (state, height) = (recovered.state, recovered.lastHeight)
        let signStore = try SignRecordStore.open(path: dataDirectory + "/consensus.sign")
        let recordExisted = signStore.exists
        if let signer {
            try SignRecordGuard.check(recordExists: signStore.exists, lost: settings.signRecordLost, key: signer.publicKey,
                                      height: height, path: signStore.path) { h in log.holds(h) ? try log.record(at: h).certificate : nil }
            try signStore.markStarted()
        }
        let key = signer ?? Ed25519Signer(Curve25519.Signing.PrivateKey())
        self.settings = settings
        self.logger = logger
        self.hub = hub
        self.commands = commands
        self.clock = clock
        self.monotonic = monotonic
        self.runSync = runSync
        self.log = log
        self.signStore = signStore
        self.publicKey = key.publicKey
        self.chainID = genesis.chainID
        self.restoredFromSnapshot = recovered.snapshotHeight
        self.snapshotDirectory = snapshotDirectory
        self.state = state
        self.core = ConsensusCore(config: settings.consensus, signer: key, restoring: signStore.record)
        self.mempool = Mempool(limits: settings.mempool)
        self.txIndex = TxIndex(capacity: settings.maxRememberedCommits)
        self.recentBlocks = BoundedFIFOMap(capacity: settings.maxCachedBlocks)
        self.pendingErasures = try PendingErasures.load(log.path + ".erasures")
        if height > 0 {
            let last = try log.certifiedHeader(at: height)
            tip = ChainTip(header: last.header)
            lastCertificate = last.certificate
        } else {
            tip = ChainTip(genesis: genesis)
        }
        try Self.indexRecent(log: log, into: &txIndex, limit: 100)
        // `--sign-record-lost` is the operator's word that the chain is past what it may have
        // signed (and the only way out when every validator lost its record at once, where
        // overlapping floors would stop the chain): no floor then.
        if signer != nil && !recordExisted && !settings.signRecordLost {
            earlierLifeWatch = true
            var h = max(log.baseHeight, height > SignRecordGuard.lookback ? height - SignRecordGuard.lookback : 0)
            var floor: UInt64 = 0
            while h <= height, h > 0 {   // bounded by the lookback
                if try log.certifiedHeader(at: h).certificate.signatures.contains(where: { $0.validator == key.publicKey }) {
                    floor = h + Self.signFloorMargin
                }
                h += 1
            }
            if floor > 0 {
                core.signFloor = floor
                logger.notice("this validator's key signed a block before this start, whose sign record is not here: it signs nothing at or below height \(floor)",
                              metadata: ["consensus.signFloor": "\(floor)"])
            }
        }
        revocations.revoke(state.revokedCertificates)
        logger.info("validator state rebuilt", metadata: [
            "chain.height": "\(height)", "chain.stateRoot": "\(state.stateRoot)",
            "storage.rebuildMillis": "\(Int((monotonic.now - started) / .milliseconds(1)))",
            "consensus.voting": "\(state.validatorSet(forHeight: height + 1)?.validator(key.publicKey) != nil)",
        ])
    }

    /// Milliseconds since the Unix epoch, from the system clock (block times).
    package static let wallClockMillis: @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) }

    /// Remembers the transactions of the last `limit` blocks, so status queries answer for them after a restart.
    private static func indexRecent(log: BlockLog, into index: inout TxIndex, limit: UInt64) throws {
        let height = log.lastHeight
        guard height > log.baseHeight else { return }
        var h = max(log.baseHeight + 1, height > limit ? height - limit + 1 : 1)
        while h <= height {   // bounded by limit
            index.record(try log.block(at: h))
            h += 1
        }
    }

    /// Starts taking part: the first height starts when there is something to do (or a peer starts it),
    /// and the committed height is announced periodically.
    package func start() {
        started = true
        commands.yield(.timer(.announce, millis: settings.announceMillis))
        maybeStartHeight()
        runErasures()
    }

    /// Closes storage (after the engine stopped).
    package func close() {
        closed = true
        try? log.syncNow()   // a stop leaves nothing unsynced behind
        log.close()
        signStore.close()
        heights.finishAll()
        hub.closeAll()
    }

    /// A timer the node asked for has fired.
    package func fire(_ timer: NodeTimer) {
        switch timer {
        case .consensus(let t):
            guard running else { return }
            feed(.timeout(t))
        case .gate:
            gateDue = nil
            maybeStartHeight()
        case .announce:
            hub.publish([.height(tip.height)])
            commands.yield(.timer(.announce, millis: settings.announceMillis))
        }
    }

    /// Stops all participation after a storage failure: nothing more is signed, appended or sent.
    func halt(_ why: String) {
        guard halted == nil else { return }
        halted = why
        running = false
        logger.critical("validator halted", metadata: ["error": "\(why)"])
        commands.yield(.fatal(why))
    }
}
