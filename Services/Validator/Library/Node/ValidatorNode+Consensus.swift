import CityChainAPI
import CityConsensus
import CityEncoding
import CityLedger

extension ValidatorNode {
    /// Feeds `event` to the core and carries out its actions in order; events that actions produce
    /// (a built value, a validity answer, the next height) are queued and fed in turn, so the core
    /// is never re-entered. A `signing` record is staged; the messages it covers are sent once a
    /// sync covers it (ValidatorNode+SignRecord), which starts before any long action and at the end.
    func feed(_ event: ConsensusEvent<Block>) {
        guard halted == nil else { return }
        queue.append(event)
        guard !draining else { return }
        draining = true
        defer { draining = false }
        var fed = 0
        while !queue.isEmpty && halted == nil {
            fed += 1
            precondition(fed < 100_000, "consensus events kept producing events")
            let next = queue.removeFirst()
            for action in core.handle(next) {
                guard halted == nil else { break }
                carryOut(action)
            }
        }
        queue.removeAll()
        syncSignRecord()
    }

    private func carryOut(_ action: ConsensusAction<Block>) {
        switch action {
        case .signing(let record):
            stageSignRecord(record)
        case .broadcastProposal(let p):
            proposedBlocks.insert(p.value, for: p.value.id)
            send(.proposal(CompactProposal(compacting: p), carrying: Set(p.value.transactions.map(\.id))))
        case .broadcastVote(let v):
            send(.vote(v))
        case let .scheduleTimeout(t, ms):
            commands.yield(.timer(.consensus(t), millis: ms))
        case let .needValue(h, r):
            syncSignRecord()   // the sync runs while the block is built
            propose(height: h, round: r)
        case let .validate(h, value):
            if executed[value.id] == nil { syncSignRecord() }   // and while a proposal executes
            validate(height: h, value: value)
        case .decide(let d):
            syncSignRecord()   // and while the block is committed
            commit(d.value, certificate: d.certificate)
        case .requestSync:
            commands.yield(.sync)
        case .evidence(let e):
            evidenceSeen += 1
            ValidatorMetrics.evidence()
            logger.warning("equivocation detected", metadata: ["consensus.offender": "\(e.validator)", "chain.height": "\(tip.height + 1)"])
            admitEvidence(Equivocation(e), gossip: true)
        }
    }

    /// Builds this node's proposal from the mempool (transactions verified on admission are not verified again).
    private func propose(height h: UInt64, round r: UInt32) {
        guard h == tip.height + 1 else { return }
        let policy = settings.policy
        let candidates = mempool.candidates(maxTransactions: policy.maxTransactionsPerBlock, maxBytes: policy.maxBlockBytes)
        let pool = mempool
        let built = policy.buildBlock(transactions: candidates, evidence: evidence.pending(max: LedgerLimits.maxEvidencePerBlock),
                                      parent: tip, state: state, proposer: publicKey,
                                      nowMillis: clock(), signaturesVerified: { pool.hasVerified($0) })
        remember(built)
        queue.append(.valueToPropose(height: h, round: r, value: built.block))
    }

    /// Consensus `valid(v)`: executes the proposal on the committed state.
    private func validate(height h: UInt64, value: Block) {
        guard h == tip.height + 1 else { return }
        if executed[value.id] != nil {
            queue.append(.validated(height: h, valueID: value.id, isValid: true))
            return
        }
        let pool = mempool
        let cache = verifiedSignatures
        switch settings.policy.validateProposal(block: value, parent: tip, state: state, nowMillis: clock(),
                                                signaturesVerified: { pool.hasVerified($0) || cache.contains($0) }) {
        case .success(let e):
            cache.insert(contentsOf: value.transactions)   // executed: every signature verified (here or before)
            proposedBlocks.insert(value, for: value.id)   // a later round's proposer may re-propose it
            remember(e)
            queue.append(.validated(height: h, valueID: value.id, isValid: true))
        case .failure(let rejection):
            logger.warning("proposal refused", metadata: ["chain.height": "\(h)", "consensus.proposer": "\(value.header.proposer)",
                                                           "error": "\(rejection)"])
            queue.append(.validated(height: h, valueID: value.id, isValid: false))
        }
    }

    /// Keeps an executed block of the current height (bounded: an equivocating proposer cannot grow it).
    private func remember(_ e: ExecutedBlock) {
        if executed.count >= 32 { executed.removeAll() }
        executed[e.block.id] = e
    }

    /// Starts height `tip + 1` when the block policy says a block is due (transactions pending and
    /// the interval passed, or the heartbeat), or at once when `force` (a peer is already in it);
    /// otherwise checks again when the policy's wait ends.
    func maybeStartHeight(force: Bool = false) {
        guard !running, halted == nil else { return }
        let now = clock()
        let policy = settings.policy
        guard force || policy.shouldPropose(nowMillis: now, lastBlockTimeMillis: tip.timeMillis, pendingCount: mempool.count) else {
            scheduleGate(policy.millisUntilProposal(nowMillis: now, lastBlockTimeMillis: tip.timeMillis, pendingCount: mempool.count), now: now)
            return
        }
        let next = tip.height + 1
        guard let set = state.validatorSet(forHeight: next) else {
            preconditionFailure("the state knows no validator set for its next height \(next)")
        }
        running = true
        heightStartedAt = monotonic.now
        feed(.startHeight(height: next, validators: set, previous: lastCertificate))
    }

    /// Checks the gate soon rather than now: admissions already queued on the actor are taken
    /// first, so a block carries every transaction that arrived meanwhile (starting the height on
    /// the first admission would make one block per transaction under load).
    func armGate() {
        guard !running, halted == nil else { return }
        let now = clock()
        scheduleGate(settings.policy.millisUntilProposal(nowMillis: now, lastBlockTimeMillis: tip.timeMillis, pendingCount: mempool.count), now: now)
    }

    /// Asks for a gate check in `wait` ms (1 ms to 1 s) unless one is already due no later. An
    /// idle node's check is up to 1 s away; a transaction arriving then must not wait for it (that
    /// was ~1 s on every commit of an idle chain), so a sooner check is scheduled beside it. A
    /// superseded timer still fires later and only re-runs `maybeStartHeight`, which is harmless.
    private func scheduleGate(_ wait: UInt64, now: UInt64) {
        let millis = max(1, min(wait, 1000))
        let due = now + millis
        if let armed = gateDue, armed <= due { return }
        gateDue = due
        commands.yield(.timer(.gate, millis: millis))
    }

    /// Gossip from `peer` whose proposal and vote signatures the caller verified.
    package func receive(_ items: [GossipItem], from peer: String, preverified: [Bool]) {
        precondition(items.count == preverified.count, "one verification flag per item")
        if !items.isEmpty { peerHeard[peer] = monotonic.now }
        for (item, verified) in zip(items, preverified) {
            switch item {
            case .proposal(let p): if verified { consensusMessage(height: p.height, .proposal(p)) }
            case .vote(let v): if verified { consensusMessage(height: v.height, .vote(v)) }
            case .transaction(let tx): _ = admit(tx, encodedBytes: tx.encodedSize, signaturesVerified: verified, gossip: false)
            case .height(let h): peerAnnounced(h, peer: peer)
            case .evidence(let e): admitEvidence(e, gossip: false)
            case .compactProposal: break   // made whole by the engine (`assemble`) before it reaches the node
            }
        }
    }

    private func consensusMessage(height h: UInt64, _ event: ConsensusEvent<Block>) {
        guard h > tip.height else { return }   // a height this node has committed
        if !running { maybeStartHeight(force: true) }
        if h > tip.height + 1 { commands.yield(.sync) }
        feed(event)
    }

    private func peerAnnounced(_ h: UInt64, peer: String) {
        peerHeights[peer] = h
        if h > tip.height + 1 || (h > tip.height && !running) { commands.yield(.sync) }
    }

    /// Keeps verified evidence for a block (and gossips it when this node found it).
    func admitEvidence(_ e: Equivocation, gossip: Bool) {
        switch evidence.add(e, state: state, height: tip.height + 1) {
        case .accepted:
            logger.warning("equivocation evidence pending for a block", metadata: ["consensus.offender": "\(e.offender)",
                                                                                "evidence.height": "\(e.height)", "evidence.round": "\(e.round)"])
            if gossip { hub.publish([.evidence(e)]) }
        case .rejected(let why):
            logger.notice("evidence refused", metadata: ["consensus.offender": "\(e.offender)", "error": "\(why)"])
        case .duplicate, .full, .fullForOffender:
            break
        }
    }

    /// Marks the gossip stream from `peer` connected or not (status).
    package func peerConnection(_ peer: String, connected: Bool) {
        if connected { connectedPeers.insert(peer) } else { connectedPeers.remove(peer) }
    }
}
