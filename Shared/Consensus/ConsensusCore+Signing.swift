import CityEncoding
import CityLedger

extension ConsensusCore {
    /// Signs and broadcasts a vote for the current (height, round), preceded by its `signing` record;
    /// then moves to the vote's step. Never signs at or before the last signed position unless it is
    /// the very same vote, which is re-sent instead: the core cannot double-sign, even after a restart.
    mutating func castVote(_ kind: VoteKind, _ blockHash: Hash32?) {
        let target: ConsensusStep = kind == .prevote ? .prevote : .precommit
        precondition(phase == .running && step < target, "a step is voted once and steps only move forward")
        step = target
        if let vote = signableVote(kind, blockHash) {
            deliverOwn(.vote(vote))
        }
    }

    /// The vote to send, or nil to abstain because the position was already signed differently.
    private mutating func signableVote(_ kind: VoteKind, _ blockHash: Hash32?) -> Vote? {
        let target: ConsensusStep = kind == .prevote ? .prevote : .precommit
        if let last = lastSigned, !last.isBefore(height: height, round: round, step: target) {
            // Same position: only the identical vote may go out again; earlier positions: abstain.
            guard last.height == height, last.round == round, last.step == target,
                  case let .vote(old) = last.message, old.blockHash == blockHash else { return nil }
            return old
        }
        guard votes?.validators.validator(signer.publicKey) != nil else { return nil }   // observers do not vote
        guard height > signFloor else { return nil }   // may have been signed in an earlier life
        let message = Vote.signBytes(chainID: config.chainID, kind: kind, height: height, round: round, blockHash: blockHash)
        let vote = Vote(kind: kind, height: height, round: round, blockHash: blockHash,
                        validator: signer.publicKey, signature: signer.sign(message))
        persist(SignRecord(height: height, round: round, step: target, message: .vote(vote), lock: currentLock,
                           earlier: ownMessages(round: round)))
        return vote
    }

    /// Signs and broadcasts a proposal for the current (height, round), preceded by its `signing` record.
    mutating func signProposal(_ value: Value, validRound vr: UInt32?) {
        precondition(phase == .running && step == .propose, "proposals are made in the propose step")
        if let last = lastSigned, !last.isBefore(height: height, round: round, step: .propose) {
            guard last.height == height, last.round == round, last.step == .propose,
                  case let .proposal(old) = last.message else { return }
            deliverOwn(.proposal(old))   // restarted after proposing: re-send the same proposal
            return
        }
        guard votes?.validators.validator(signer.publicKey) != nil, height > signFloor else { return }
        let p = Proposal.sign(height: height, round: round, validRound: vr, value: value,
                              chainID: config.chainID, signer: signer)
        persist(SignRecord(height: height, round: round, step: .propose, message: .proposal(p), lock: currentLock))
        deliverOwn(.proposal(p))
        if vr != nil { relayPolka() }   // the re-proposal's justification travels with it
    }

    /// The lock to persist with a signature, with its polka from the vote book.
    private var currentLock: SignRecord<Value>.Lock? {
        guard let r = lockedRound, let v = lockedValue, let votes else { return nil }
        return SignRecord.Lock(round: r, value: v, polka: votes.votes(.prevote, round: r, for: v.id))
    }

    /// Own signed messages of `r` in this height, oldest first.
    private func ownMessages(round r: UInt32) -> [SignRecord<Value>.Message] {
        mine.filter { m in
            switch m {
            case let .proposal(p): p.height == height && p.round == r
            case let .vote(v): v.height == height && v.round == r
            }
        }.suffix(2)
    }

    private mutating func persist(_ record: SignRecord<Value>) {
        if let last = lastSigned {
            precondition(last.isBefore(height: record.height, round: record.round, step: record.step),
                         "signing positions strictly increase")
        }
        lastSigned = record
        emit(.signing(record))
    }

    /// Broadcasts an own message, keeps it for re-sending and feeds it to this node's own state
    /// (the paper counts a node's own messages like anyone's).
    mutating func deliverOwn(_ message: SignRecord<Value>.Message) {
        if !mine.contains(message) {
            mine.append(message)
            if mine.count > config.maxRebroadcastMessages { mine.removeFirst(mine.count - config.maxRebroadcastMessages) }
        }
        switch message {
        case let .proposal(p):
            emit(.broadcastProposal(p))
            receive(p)
        case let .vote(v):
            emit(.broadcastVote(v))
            receive(v)
        }
    }
}
