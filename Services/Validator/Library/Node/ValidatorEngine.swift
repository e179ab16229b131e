import CityChainAPI
import CityConsensus
import CityEncoding
import CityLedger
import CityPKI
import CityWire
import Logging
import ServiceLifecycle
import Synchronization

/// The tasks around one `ValidatorNode`: its timers, a gossip follower per peer, and block sync.
/// A ServiceLifecycle `Service`: on graceful shutdown it stops them all and closes the node.
package final class ValidatorEngine: Service, Sendable {
    package let node: ValidatorNode
    let settings: ValidatorSettings
    let commands: AsyncStream<EngineCommand>
    let commandInput: AsyncStream<EngineCommand>.Continuation
    let client: WireClient
    let logger: Logger
    let peers: Mutex<[String]>
    /// Per followed peer: rung when that peer subscribes to us, so a reconnect waiting out its
    /// backoff dials at once (after a peer restarts, the link back to it is up in milliseconds,
    /// not after up to the backoff's cap, when the next restart of a rolling restart may come).
    let wakes = Mutex<[String: WakeSignal]>([:])
    let syncSignal: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)
    let snapshotSignal: (stream: AsyncStream<LedgerState>, continuation: AsyncStream<LedgerState>.Continuation)

    /// The engine for `node`, which sends its requests into `commands`.
    package init(node: ValidatorNode, settings: ValidatorSettings, commands: AsyncStream<EngineCommand>,
                 commandInput: AsyncStream<EngineCommand>.Continuation, client: WireClient, logger: Logger) {
        self.node = node
        self.settings = settings
        self.commands = commands
        self.commandInput = commandInput
        self.client = client
        self.logger = logger
        peers = Mutex(settings.peers.filter { $0 != settings.advertise })
        syncSignal = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        snapshotSignal = AsyncStream.makeStream(of: LedgerState.self, bufferingPolicy: .bufferingNewest(1))
    }

    package func run() async throws {
        let failure = Mutex<String?>(nil)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.syncLoop() }
                group.addTask { await self.snapshotLoop() }
                var following = Set<String>()
                for p in peers.withLock({ $0 }) {
                    following.insert(p)
                    group.addTask { await self.follow(p) }
                }
                await node.start()
                for await command in commands {
                    switch command {
                    case let .timer(timer, ms):
                        group.addTask {
                            guard (try? await Task.sleep(for: .milliseconds(Int64(min(ms, 86_400_000))))) != nil else { return }
                            await self.node.fire(timer)
                        }
                    case .sync:
                        syncSignal.continuation.yield()
                    case .snapshot(let state):
                        snapshotSignal.continuation.yield(state)
                    case .follow(let address):
                        if following.contains(address) {
                            wakes.withLock { $0[address] }?.ring()
                            continue
                        }
                        guard address != settings.advertise, following.count < 256 else { continue }
                        following.insert(address)
                        peers.withLock { $0.append(address) }
                        logger.info("gossiping with a new peer", metadata: ["peer.address": "\(address)"])
                        group.addTask { await self.follow(address) }
                    case .fatal(let why):
                        failure.withLock { $0 = why }
                        commandInput.finish()
                    }
                }
                syncSignal.continuation.finish()
                snapshotSignal.continuation.finish()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.commandInput.finish()
        }
        await node.close()
        if let why = failure.withLock({ $0 }) { throw ValidatorHalted(reason: why) }
    }

    /// Gossips with `address` too (ignored for this node's own address and peers already followed).
    package func addPeer(_ address: String) {
        commandInput.yield(.follow(address))
    }

    /// Subscribes to `address`'s gossip and feeds what arrives to the node, reconnecting with backoff.
    func follow(_ address: String) async {
        guard let (host, port) = Self.split(address) else {
            logger.error("peer address is not HOST:PORT; not gossiping with it", metadata: ["peer.address": "\(address)"])
            return
        }
        var backoff = Backoff(first: .milliseconds(100), cap: .seconds(2))
        let wake = wakes.withLock { w in
            if let signal = w[address] { return signal }
            let signal = WakeSignal()
            w[address] = signal
            return signal
        }
        var reported = false
        while !Task.isCancelled {
            do {
                try await client.withConnection(host: host, port: port, expecting: .validator) { conn in
                    let subscribe = GossipSubscribe(name: settings.name, advertise: settings.advertise, height: await node.height)
                    await node.peerConnection(address, connected: true)
                    logger.info("gossip connected", metadata: ["peer.address": "\(address)", "peer.id": "\(conn.server)"])
                    backoff.reset()
                    reported = false
                    let node = self.node
                    let clock = node.monotonic
                    let heard = LastHeard(clock.now)
                    let batches = conn.stream(ValidatorAPI.gossip, subscribe.canonicalBytes).map { bytes in
                        heard.mark(clock.now)
                        return try GossipBatch(canonicalBytes: bytes)
                    }
                    let fetch = CompactFetch(connection: conn, timeout: .milliseconds(Int64(settings.consensus.proposeBaseMillis)), logger: logger)
                    let silence = Self.silenceLimit(announceMillis: settings.announceMillis)
                    // The intake, beside a watch on the stream's silence: a peer announces its height
                    // every announcement period, so a stream silent for three of them is dead (a
                    // partition drops packets without a reset, and TCP's retransmission backoff would
                    // keep it for many seconds after the link heals): drop it and dial again.
                    let dropped = try await withThrowingTaskGroup(of: Int?.self) { group in
                        group.addTask {
                            try await GossipIntake().run(batches, pending: node.gossipPending, consensus: { items in
                                await Self.handOver(items, node: node, from: address, fetch: fetch)
                            }, transactions: { txs in
                                await node.receive(txs.map(GossipItem.transaction), from: address, preverified: Self.verify(txs, node: node))
                            })
                        }
                        group.addTask {
                            try await Self.watchSilence(heard, limit: silence, clock: clock)
                            return nil
                        }
                        defer { group.cancelAll() }
                        let first = try await group.next()
                        return (first ?? nil) ?? 0
                    }
                    if dropped > 0 { logger.notice("gossiped transaction batches dropped: verification fell behind", metadata: ["peer.address": "\(address)", "gossip.droppedBatches": "\(dropped)"]) }
                }
            } catch {
                if !reported && !Task.isCancelled {
                    logger.notice("gossip with peer unavailable; retrying", metadata: ["peer.address": "\(address)", "error": "\(error)"])
                    reported = true
                }
            }
            await node.peerConnection(address, connected: false)
            guard (try? await backoff.wait(orUntil: wake)) != nil else { return }
        }
    }

    /// How long a gossip stream may stay silent before it is taken for dead: three announcement
    /// periods, and at least 3 s.
    static func silenceLimit(announceMillis: UInt64) -> Duration {
        .milliseconds(Int64(max(3 * announceMillis, 3_000)))
    }

    /// Returns nothing while items keep arriving (`heard` moves); throws `PeerSilent` once the
    /// stream has been silent for `limit`. Checks four times per limit.
    static func watchSilence(_ heard: LastHeard, limit: Duration, clock: MonotonicClock) async throws {
        while true {
            try await clock.sleep(for: limit / 4)
            let quiet = clock.now - heard.at
            if quiet >= limit { throw PeerSilent(quiet: quiet) }
        }
    }

    /// Gives one batch's consensus items to the node at once, except proposals: a whole one after
    /// its transactions' signatures were checked on every core, a compact one after it was made
    /// whole (from the mempool and the gossip still in verification, fetching what is missing).
    /// Votes behind a proposal in this lane wait for neither.
    static func handOver(_ items: [GossipItem], node: ValidatorNode, from address: String, fetch: CompactFetch) async {
        let flags = SignatureCheck.verify(items, chainID: node.chainID, keys: [:])
        var now: [GossipItem] = [], nowFlags: [Bool] = []
        for (item, ok) in zip(items, flags) {
            switch (ok, item) {
            case (true, .proposal(let p)):
                Task { await hand(p, to: node, from: address) }
            case (true, .compactProposal(let c)):
                Task { if let p = await fetch.complete(c, node: node) { await hand(p, to: node, from: address) } }
            default:
                now.append(item)
                nowFlags.append(ok)
            }
        }
        if !now.isEmpty { await node.receive(now, from: address, preverified: nowFlags) }
    }

    /// Checks a whole proposal's transaction signatures on every core, then gives it to the node.
    static func hand(_ p: Proposal<Block>, to node: ValidatorNode, from address: String) async {
        await ProposalSignatures.preverify(p.value, node: node)
        await node.receive([.proposal(p)], from: address, preverified: [true])
    }

    /// One flag per gossiped transaction: true when its signatures verified, here or before
    /// (`VerifiedSignatures`: a transaction already checked on submission or in a proposal is not
    /// checked again).
    static func verify(_ txs: [SignedTransaction], node: ValidatorNode) async -> [Bool] {
        let cache = node.verifiedSignatures
        let known = txs.map { cache.contains($0) }
        let fresh = zip(txs, known).filter { !$0.1 }.map(\.0)
        guard !fresh.isEmpty else { return known }
        let keys = await node.signingKeys(SignatureCheck.signers(of: fresh))
        var verdicts = SignatureCheck.verifyAll(fresh, keys: keys).makeIterator()
        return zip(txs, known).map { tx, wasKnown in
            if wasKnown { return true }
            let ok = verdicts.next()!
            if ok { cache.insert(tx) }
            return ok
        }
    }

    /// Writes the snapshots the node hands over, one at a time (a newer one replaces one waiting), on
    /// a low-priority thread of its own.
    func snapshotLoop() async {
        let store: SnapshotStore
        do { store = try SnapshotStore.open(directory: node.snapshotDirectory, logger: logger) } catch {
            logger.error("snapshots disabled: cannot open the snapshot directory", metadata: ["error": "\(error)"])
            return
        }
        let box = UncheckedBox(store)
        await node.pruneIfDue(snapshotHeights: store.heights)
        for await state in snapshotSignal.stream {
            let started = ContinuousClock.now
            let written: Result<Void, any Error> = await LowPriorityThread.run("citychain-snapshot") {
                Result { try box.value.write(state.snapshot()) }
            }
            do {
                try written.get()
                let took = ContinuousClock.now - started
                logger.info("snapshot written", metadata: ["chain.height": "\(state.height)",
                                                          "storage.snapshotMillis": "\(took.components.seconds * 1000 + took.components.attoseconds / 1_000_000_000_000_000)"])
                await node.pruneIfDue(snapshotHeights: box.value.heights)
            } catch {
                logger.error("snapshot not written; restart replays more blocks until the next one", metadata: [
                    "chain.height": "\(state.height)", "error": "\(error)"])
            }
        }
    }

    /// Runs block sync whenever the node asks, at most about ten rounds a second.
    func syncLoop() async {
        for await _ in syncSignal.stream {
            await syncOnce()
            guard (try? await Task.sleep(for: .milliseconds(100))) != nil else { return }
        }
    }

    /// Fetches certified blocks from the first peer that has them until caught up with it, asking
    /// the peers heard from lately first (`ValidatorNode.syncOrder`).
    func syncOnce() async {
        for peer in await node.syncOrder(peers.withLock({ $0 })) {
            guard let (host, port) = Self.split(peer), !Task.isCancelled else { continue }
            do {
                let caughtUp = try await client.withConnection(host: host, port: port, expecting: .validator) { conn in
                    try await self.pull(from: conn, peer: peer)
                }
                if caughtUp { return }
            } catch {
                logger.debug("block sync from peer failed", metadata: ["peer.address": "\(peer)", "error": "\(error)"])
            }
        }
    }

    /// Pulls batches from one peer; true when this node reached the peer's height.
    private func pull(from conn: WireConnection, peer: String) async throws -> Bool {
        for _ in 0..<100_000 {
            let (next, _) = await node.syncTarget()
            let request = BlocksRequest(from: next, maxCount: settings.syncBatchBlocks)
            // Bounded: a peer that goes silent mid-sync is left for the next one after 10 s.
            let response = try BlocksResponse(canonicalBytes: try await conn.request(ValidatorAPI.blocks, request.canonicalBytes, timeout: .seconds(10)))
            if response.blocks.isEmpty { return response.latestHeight < next }
            guard await node.applyCertified(response.blocks, from: peer) > 0 else { return false }
            if let last = response.blocks.last, last.height >= response.latestHeight { return true }
        }
        return false
    }

    /// "HOST:PORT" split, or nil.
    package static func split(_ address: String) -> (String, Int)? {
        HostPort(address).map { ($0.host, $0.port) }
    }
}

/// When a stream last brought something (its reader marks, its silence watch reads).
package final class LastHeard: Sendable {
    private let time: Mutex<Duration>
    package init(_ now: Duration) { time = Mutex(now) }
    package func mark(_ now: Duration) { time.withLock { $0 = now } }
    package var at: Duration { time.withLock { $0 } }
}

/// A peer's gossip stream brought nothing for longer than its announcements allow; it is redialled.
package struct PeerSilent: Error, CustomStringConvertible {
    /// How long it had been silent.
    package var quiet: Duration
    package var description: String {
        "no gossip from the peer for \(quiet.components.seconds) s although it announces its height every second or so; the link is taken for dead and dialled again"
    }
}

/// The validator stopped itself after a storage failure; the process exits non-zero.
package struct ValidatorHalted: Error, CustomStringConvertible {
    /// What failed and what to do.
    package var reason: String
    package var description: String { "validator halted: \(reason)" }
}

/// The snapshot store, handed to the one snapshot thread at a time (the loop awaits each write).
private final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
