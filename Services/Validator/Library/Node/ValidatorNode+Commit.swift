import CityChainAPI
import CityConsensus
import CityEncoding
import CityLedger

extension ValidatorNode {
    /// Commits the block at `tip + 1` with its certificate: executes it (or reuses the execution
    /// from validation), writes it to the block log, moves the state and tip, updates the mempool,
    /// and starts the next height. The log's fdatasync runs off the actor (`syncBlockLog`); commit
    /// streams and waiters hear of the height once it is durable (`durableHeight`).
    func commit(_ block: Block, certificate: CommitCertificate, startNext: Bool = true) {
        guard halted == nil, block.header.height == tip.height + 1 else { return }
        guard let executedBlock = executed[block.id] ?? executeCertified(block) else { return }
        do { try log.append(block, certificate: certificate, sync: false) } catch {
            halt("appending block \(block.header.height) to the block log failed (\(error)); restart the validator (it rescans the log)")
            return
        }
        state = executedBlock.state
        noteErasures(executedBlock)
        if block.revokesCertificates {
            revocations.revoke(state.revokedCertificates)
        }
        tip = ChainTip(header: block.header)
        lastCertificate = certificate
        noteEarlierSignature(certificate)
        mempool.blockCommitted(block, state: state)
        admissionControl.committed(transactions: block.transactions.count, nowMillis: clock())
        updateAdmission()
        evidence.blockCommitted(block, state: state)
        txIndex.record(block)
        cache(CertifiedBlock(block: block, certificate: certificate))
        executed.removeAll()
        running = false
        syncBlockLog()
        ValidatorMetrics.committed(height: tip.height, round: certificate.round, transactions: block.transactions.count, took: heightStartedAt.map { monotonic.now - $0 })
        heightStartedAt = nil
        if snapshotDue(at: tip.height) {
            commands.yield(.snapshot(state))   // a value: later commits do not change it
        }
        logger.debug("committed", metadata: ["chain.height": "\(tip.height)", "chain.txs": "\(block.transactions.count)",
                                            "consensus.round": "\(certificate.round)"])
        if startNext { maybeStartHeight() }
    }

    /// Executes a certified block this node did not validate (block sync, or a decision reached
    /// without the proposal at hand). Its signatures are not re-verified: more than 2/3 of the
    /// power certified the header, which commits to the transactions. A certified block that does
    /// not execute to its state root means this build's state machine differs from the chain's.
    private func executeCertified(_ block: Block) -> ExecutedBlock? {
        let farFuture = UInt64.max / 2   // a certified block's time was accepted by the quorum
        switch settings.policy.validateProposal(block: block, parent: tip, state: state, nowMillis: farFuture,
                                                signaturesVerified: { _ in true }, committed: true) {
        case .success(let e): return e
        case .failure(let rejection):
            halt("certified block \(block.header.height) does not execute here (\(rejection)); this build's ledger rules differ from the chain's: run the build the other validators run")
            return nil
        }
    }

    /// Whether this validator writes a snapshot at `height`: every `snapshotEveryBlocks` heights from
    /// the first multiple, shifted by an offset taken from its key, so the validators of a chain
    /// snapshot at different heights (all at once stalled the chain on a shared or small box).
    func snapshotDue(at height: UInt64) -> Bool {
        let every = settings.snapshotEveryBlocks
        guard every > 0, height >= every else { return false }
        let offset = publicKey.bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } % every
        return (height + offset) % every == 0
    }

    /// Prunes the block log after a snapshot (`settings.retainBlocks` > 0): through the lower of the
    /// head minus the blocks to retain and the older of the two newest snapshots (so a restart
    /// still has a snapshot at or above the base if the newest is damaged), and never past what
    /// is durable. A failure is logged; the log stays as it was.
    func pruneIfDue(snapshotHeights: [UInt64]) {
        let retain = settings.retainBlocks
        guard retain > 0, halted == nil, let restartPoint = snapshotHeights.count >= 2 ? snapshotHeights[snapshotHeights.count - 2] : snapshotHeights.last,
              log.durableHeight > retain else { return }
        let through = min(restartPoint, log.durableHeight - retain)
        guard through > log.baseHeight else { return }
        do {
            let (before, after) = try log.prune(through: through)
            logger.info("block log pruned", metadata: ["chain.height": "\(through)", "storage.keptFrom": "\(through + 1)",
                                                       "storage.bytesBefore": "\(before)", "storage.bytesAfter": "\(after)"])
        } catch {
            logger.warning("block log not pruned", metadata: ["chain.height": "\(through)", "error": "\(error)"])
        }
    }

    /// The lowest height whose block the log holds (1 from genesis; above the base after state
    /// sync or pruning) and the bytes the log takes on disk (-1 when it cannot be read).
    func blockLogFigures() -> (firstHeight: UInt64, diskBytes: Int) {
        (log.baseHeight + 1, (try? log.allocatedBytes()) ?? -1)
    }

    /// The height commit streams may serve: the last one on disk.
    package var durableHeight: UInt64 { log.durableHeight }

    /// Starts the block log's fdatasync off the actor when heights wait for it and none runs (one
    /// sync covers every block written meanwhile: group commit); announces them once it returns.
    func syncBlockLog() {
        guard halted == nil, let sync = log.beginSync() else { return }
        runOffActor(sync, on: logSyncQueue) { await self.blockLogSynced(sync, $0) }
    }

    /// A block log sync finished: its heights are durable and announced; the next one starts.
    func blockLogSynced(_ sync: FileSync, _ result: Result<Void, BlockStoreError>) {
        if case .failure(let error) = result {
            halt("the block log's fdatasync failed (\(error)); restart the validator (it rescans the log)")
            return
        }
        log.finishSync(sync)
        heights.announce(log.durableHeight)
        syncBlockLog()
        runErasures()
    }

    private func cache(_ certified: CertifiedBlock) {
        recentBlocks.insert(certified.canonicalBytes, for: certified.height)
    }

    /// Verifies and commits certified blocks fetched from `peer` (block sync), in order from `tip + 1`;
    /// returns how many were committed. A block that does not verify stops the batch and is reported.
    package func applyCertified(_ blocks: [CertifiedBlock], from peer: String) -> Int {
        var applied = 0
        for cb in blocks where halted == nil {
            if cb.height <= tip.height { continue }
            guard cb.height == tip.height + 1 else { break }
            guard let set = state.validatorSet(forHeight: cb.height) else { break }
            do {
                try ChainTracker.checkNext(cb, chainID: chainID, parentHeight: tip.height, parentHash: tip.hash, validatorSet: set)
            } catch {
                logger.error("block sync: peer sent a block that does not verify as the next block; not applied", metadata: [
                    "peer.address": "\(peer)", "chain.height": "\(cb.height)", "error": "\(error)"])
                break
            }
            commit(cb.block, certificate: cb.certificate, startNext: false)
            applied += 1
        }
        if applied > 0 {
            logger.info("block sync applied blocks", metadata: ["peer.address": "\(peer)", "chain.height": "\(tip.height)",
                                                                 "sync.blocks": "\(applied)"])
            maybeStartHeight()
        }
        return applied
    }

    /// The order to ask `peers` for blocks in: first those whose gossip arrived within the last
    /// three announcement periods and that announced a height above ours (freshest first), then the
    /// rest in random order. A peer cut off by a partition sends nothing and so comes last: asking
    /// it first cost a catching-up node the whole connect timeout (10 s) while its blocks were
    /// needed for a quorum (deploy/chaos: a partition healed, then another validator cut).
    package func syncOrder(_ peers: [String]) -> [String] {
        let now = monotonic.now
        let fresh = Duration.milliseconds(Int64(3 * max(settings.announceMillis, 100)))
        let next = tip.height + 1
        var ahead: [(String, Duration)] = []
        var rest: [String] = []
        for p in peers {
            if let heard = peerHeard[p], now - heard <= fresh, (peerHeights[p] ?? 0) >= next { ahead.append((p, heard)) } else { rest.append(p) }
        }
        return ahead.sorted { $0.1 > $1.1 }.map(\.0) + rest.shuffled()
    }

    /// The height to sync from and how far the peers say they are.
    package func syncTarget() -> (next: UInt64, best: UInt64) {
        (tip.height + 1, max(tip.height, peerHeights.values.max() ?? 0))
    }
}
