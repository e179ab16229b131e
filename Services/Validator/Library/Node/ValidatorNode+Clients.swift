import CityChainAPI
import CityConsensus
import CityEncoding
import CityLedger
import CityWire

extension ValidatorNode {
    /// Admits a submitted or gossiped transaction. Idempotent: a known transaction gets its
    /// status (committed with its place, or pending) and nothing changes. Throws `rateLimited`
    /// when the mempool is full (valid or not, there is no room now).
    func admit(_ tx: SignedTransaction, encodedBytes: Int, signaturesVerified: Bool, gossip: Bool) -> Result<TxStatus, WireError> {
        let known = gossip && (txIndex[tx.id] != nil || mempool.contains(tx.id))
        let result = admitting(tx, encodedBytes: encodedBytes, signaturesVerified: signaturesVerified, gossip: gossip)
        if gossip { ValidatorMetrics.submitted(result, known: known) }   // gossip == true: a client's submission
        return result
    }

    private func admitting(_ tx: SignedTransaction, encodedBytes: Int, signaturesVerified: Bool, gossip: Bool) -> Result<TxStatus, WireError> {
        let id = tx.id
        if let place = txIndex[id] { return .success(.committed(place)) }
        guard halted == nil else { return .failure(WireError(.unavailable, "this validator halted (\(halted!)); submit to another")) }
        if gossip, let retry = admissionRefusal() {   // a client's submission past the admission bound
            return .failure(WireError(.rateLimited(retryAfterMillis: retry),
                                      "the validator is at its admission bound (\(mempool.count) pending, about \(Int(admissionControl.targetQueueMillis)) ms of commits); retry after \(retry) ms"))
        }
        switch mempool.add(tx, encodedBytes: encodedBytes, state: state, height: tip.height + 1, signaturesVerified: signaturesVerified) {
        case .accepted:
            if gossip && settings.faults.gossipsTransactions { hub.publish([.transaction(tx)]) }
            updateAdmission()
            if !running { armGate() }
            return .success(.pending)
        case .duplicate(.pending):
            return .success(.pending)
        case .duplicate(.committed):
            return .success(txIndex[id].map(TxStatus.committed) ?? .pending)
        case .rejected(let rejection):
            return .success(.rejected(rejection))
        case .full(let full):
            return .failure(WireError(.rateLimited(retryAfterMillis: 200), "\(full); retry after 200 ms or submit to another validator"))
        }
    }

    /// A client's submission (signatures checked by the caller when `signaturesVerified`).
    package func submit(_ tx: SignedTransaction, encodedBytes: Int, signaturesVerified: Bool) throws(WireError) -> TxStatus {
        try admit(tx, encodedBytes: encodedBytes, signaturesVerified: signaturesVerified, gossip: true).get()
    }

    /// Where `id` stands here.
    package func status(of id: TransactionID) -> TxStatus {
        if let place = txIndex[id] { return .committed(place) }
        return mempool.contains(id) ? .pending : .unknown
    }

    /// The signing keys registered for `signers` (absent: unknown or not a signing key), so the
    /// caller can verify signatures in parallel outside the actor.
    package func signingKeys(_ signers: Set<Signer>) -> [Signer: PublicKey] {
        var keys: [Signer: PublicKey] = [:]
        for s in signers {
            if let key = state.agency(s.agency)?.key(s.keyID), case .signing(let pk) = key.key.material { keys[s] = pk }
        }
        return keys
    }

    /// The committed height.
    package var height: UInt64 { tip.height }

    /// The encoded `CertifiedBlock` at `height` (from memory for recent heights, else the log).
    package func certifiedBlockBytes(at height: UInt64) throws -> [UInt8] {
        if let bytes = recentBlocks[height] { return bytes }
        if height >= 1, height <= log.baseHeight {
            throw WireError(.notFound, "this validator keeps blocks from height \(log.baseHeight + 1) on (it started from a snapshot, or prunes older blocks): fetch block \(height) from another validator or an archive node")
        }
        let record = try log.record(at: height)
        return CertifiedBlock(block: record.block, certificate: record.certificate).canonicalBytes
    }

    /// Certified blocks from `from`, at most `maxCount` and about `ValidatorAPI.maxBlocksResponseBytes`.
    package func certifiedBlocks(from: UInt64, maxCount: UInt32) throws -> BlocksResponse {
        var blocks: [CertifiedBlock] = []
        var bytes = 0
        var h = from
        while h <= tip.height && blocks.count < Int(maxCount) {   // bounded by maxCount
            let encoded = try certifiedBlockBytes(at: h)
            if !blocks.isEmpty && bytes + encoded.count > ValidatorAPI.maxBlocksResponseBytes { break }
            blocks.append(try CertifiedBlock(canonicalBytes: encoded))
            bytes += encoded.count
            h += 1
        }
        return BlocksResponse(latestHeight: tip.height, blocks: blocks)
    }

    /// This node's view for `validator.status`.
    package func status() -> ValidatorStatus {
        let set = state.validatorSet(forHeight: tip.height + 1)
        return ValidatorStatus(
            name: settings.name, chainID: chainID, height: tip.height, lastBlockHash: tip.hash, lastBlockTimeMillis: tip.timeMillis,
            consensusHeight: core.height, round: core.round, step: core.step.rawValue,
            voting: set?.validator(publicKey) != nil, validatorSetHash: set?.hash ?? Hash32.zero,
            mempoolCount: UInt32(mempool.count), mempoolBytes: UInt64(mempool.bytes), peers: UInt32(connectedPeers.count),
            evidenceSeen: evidenceSeen, power: set?.validator(publicKey)?.power ?? 0, totalPower: set?.totalPower ?? 0,
            validators: set?.validators ?? [])
    }
}

extension ValidatorNode {
    /// The retry-after (ms) while client submissions are refused, nil while they are admitted.
    func admissionRefusal() -> UInt32? {
        let pending = mempool.count
        let limit = admissionControl.limit(maxTransactions: settings.mempool.maxTransactions)
        guard pending >= limit else { return nil }
        return admissionControl.retryAfterMillis(pending: pending, limit: limit)
    }

    /// Publishes the admission verdict to the routes (after each admission and commit).
    func updateAdmission() { admission.set(refusingFor: admissionRefusal()) }
}
