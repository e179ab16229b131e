import CityChainAPI
import CityConsensus
import CityLedger
import Dispatch

/// A signed consensus message waiting for the sign record that covers it to be durable.
enum HeldMessage: Sendable {
    case proposal(CompactProposal, carrying: Set<TransactionID>)
    case vote(Vote)

    /// Pushes the message to every gossip subscriber (the hub is thread-safe).
    func publish(to hub: GossipHub) {
        switch self {
        case let .proposal(p, ids): hub.publishProposal(p, carrying: ids)
        case .vote(let v): hub.publish([.vote(v)])
        }
    }
}

extension ValidatorNode {
    /// Stages the core's `signing` record (written, not synced); the messages it covers wait in
    /// `held` until a sync covers them.
    func stageSignRecord(_ record: SignRecord<Block>) {
        if firstSignedHeight == nil { firstSignedHeight = record.height }
        do { try signStore.stage(record) } catch {
            halt("could not write the consensus sign record (\(error)); nothing it covers was sent: fix the disk and restart")
        }
    }

    /// Sends `message` now if every staged record is durable, else after the sync that covers it.
    func send(_ message: HeldMessage) {
        guard halted == nil else { return }
        if signStore.durableSequence >= signStore.sequence && held.isEmpty { message.publish(to: hub) } else { held.append(message) }
    }

    /// Starts the sync of the staged records when messages wait for it and none is running. One
    /// fdatasync covers every record staged since the last (a proposer's proposal and prevote share
    /// one); it runs off the actor, which meanwhile goes on executing, committing and taking votes,
    /// and the messages it covers are sent from the sync's thread as soon as it returns. Messages
    /// staged while it runs wait for the next one, which `signSynced` starts: order is kept.
    func syncSignRecord() {
        // beginSync is nil while a sync runs: `signSynced` starts the next one.
        guard !held.isEmpty, halted == nil, let sync = signStore.beginSync() else { return }
        let (batch, hub) = (held, self.hub)
        held.removeAll()
        runOffActor(sync, on: signSyncQueue, thenOnItsThread: { for message in batch { message.publish(to: hub) } }) {
            await self.signSynced(sync, $0)
        }
    }

    /// Runs `sync` on `queue`, off the actor (the sign record's and the block log's syncs); once it
    /// returns, `thenOnItsThread` on the sync's thread (not after a failure), then `done` with the
    /// result.
    nonisolated func runOffActor(_ sync: FileSync, on queue: DispatchQueue, thenOnItsThread: @escaping @Sendable () -> Void = {},
                                 done: @escaping @Sendable (Result<Void, BlockStoreError>) async -> Void) {
        let run = runSync
        queue.async {
            let result: Result<Void, BlockStoreError>
            do throws(BlockStoreError) {
                try run(sync)
                thenOnItsThread()
                result = .success(())
            } catch {
                result = .failure(error)
            }
            Task { await done(result) }
        }
    }

    /// Sequence of the newest durable sign record.
    package var durableSignSequence: UInt64 { signStore.durableSequence }

    /// A sync finished (its messages are sent, unless it failed): records it and starts the next.
    func signSynced(_ sync: FileSync, _ result: Result<Void, BlockStoreError>) {
        if case .failure(let error) = result {
            held.removeAll()
            halt("could not sync the consensus sign record (\(error)); nothing it covers was sent: fix the disk and restart")
            return
        }
        signStore.finishSync(sync)
        syncSignRecord()
    }
}

extension ValidatorNode {
    /// Heights at or below it this node signs nothing at (0: none; see `earlierLifeWatch`).
    package var signFloor: UInt64 { core.signFloor }

    /// Raises the core's sign floor when `certificate` holds this key's signature at a height this
    /// life has not signed (see `earlierLifeWatch`).
    func noteEarlierSignature(_ certificate: CommitCertificate) {
        guard earlierLifeWatch, certificate.signatures.contains(where: { $0.validator == publicKey }) else { return }
        if let first = firstSignedHeight, certificate.height >= first { return }   // this life's own signature
        let floor = certificate.height + Self.signFloorMargin
        guard floor > core.signFloor else { return }
        core.signFloor = floor
        logger.notice("this validator's key signed block \(certificate.height) before this start, whose sign record is not here: it signs nothing at or below height \(floor)",
                      metadata: ["chain.height": "\(certificate.height)", "consensus.signFloor": "\(floor)"])
    }
}
