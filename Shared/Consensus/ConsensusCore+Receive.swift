import CityEncoding
import CityLedger

extension ConsensusCore {
    /// Stores a proposal from the round's proposer (signature verified by the caller); a second,
    /// different one for the round is equivocation evidence.
    mutating func receive(_ p: Proposal<Value>) {
        guard admit(height: p.height, sender: p.proposer, event: .proposal(p)) else { return }
        guard p.round <= round &+ config.maxRoundsAhead, let votes, let schedule,
              let member = votes.validators.validator(p.proposer),
              p.proposer == schedule.proposer(height: height, round: p.round).publicKey,
              p.validRound.map({ $0 < p.round }) ?? true else { return }
        self.votes!.noteSender(p.proposer, power: member.power, round: p.round)
        var list = proposals[p.round, default: []]
        if list.contains(where: { $0.value.id == p.value.id && $0.validRound == p.validRound }) { return }
        if let first = list.first, list.count == 1 { report(.proposals(first: first, second: p)) }
        guard list.count < config.maxProposalsPerRound else { return }
        list.append(p)
        proposals[p.round] = list
        requestValidation(p.value)
    }

    /// Stores a vote from a member (signature verified by the caller); a second, different vote for
    /// the same (round, kind) is equivocation evidence.
    mutating func receive(_ v: Vote) {
        guard admit(height: v.height, sender: v.validator, event: .vote(v)) else { return }
        guard v.round <= round &+ config.maxRoundsAhead, let votes, votes.validators.validator(v.validator) != nil else { return }
        switch self.votes!.add(v) {
        case .added, .duplicate, .repeatedEquivocation: return
        case let .equivocation(first): report(.votes(first: first, second: v))
        }
    }

    /// Routes a message by height: true to process it now; later heights are buffered (bounded)
    /// and counted toward the block-sync trigger, earlier ones dropped.
    private mutating func admit(height h: UInt64, sender: PublicKey, event: ConsensusEvent<Value>) -> Bool {
        if phase == .running && h == height { return true }
        guard h > height || phase == .idle else { return false }
        if let set = votes?.validators, set.validator(sender) != nil, h > heardAt[sender, default: 0] {
            heardAt[sender] = h
        }
        let count = futureBySender[sender, default: 0]
        if h <= height &+ 1 || phase == .idle, count < config.maxFutureMessagesPerSender, future.count < config.maxFutureMessages {
            future.append(event)
            futureBySender[sender] = count + 1
        }
        return false
    }

    mutating func report(_ evidence: EquivocationEvidence<Value>) {
        guard evidenceCount < config.maxEvidencePerHeight else { return }
        evidenceCount += 1
        emit(.evidence(evidence))
    }

    mutating func requestValidation(_ value: Value) {
        guard validity[value.id] == nil, validationRequested.insert(value.id).inserted else { return }
        emit(.validate(height: height, value: value))
    }

    /// Rule 10, and the rebroadcast timer.
    mutating func onTimeout(_ t: ConsensusTimeout) {
        guard t.height == height, phase != .idle else { return }
        switch t.kind {
        case .rebroadcast:
            rebroadcast()
            emit(.scheduleTimeout(ConsensusTimeout(height: height, round: 0, kind: .rebroadcast),
                                  durationMillis: config.durationMillis(.rebroadcast, round: 0)))
        case .propose:
            // Rule 10: propose timeout → prevote nil.
            guard phase == .running, t.round == round, step == .propose else { return }
            castVote(.prevote, nil)
        case .prevote:
            // Rule 10: prevote timeout → precommit nil.
            guard phase == .running, t.round == round, step == .prevote else { return }
            castVote(.precommit, nil)
        case .precommit:
            // Rule 10: precommit timeout → next round.
            guard phase == .running, t.round == round else { return }
            startRound(round + 1)
        }
    }

    /// Re-sends this node's newest proposal and votes of the height (the paper's gossip over lossy links),
    /// and re-arms the block-sync request.
    private mutating func rebroadcast() {
        syncRequested = false
        for message in mine {
            switch message {
            case let .proposal(p): emit(.broadcastProposal(p))
            case let .vote(v): emit(.broadcastVote(v))
            }
        }
        relayPolka()
        if let c = previousCommit {
            for s in c.signatures {
                emit(.broadcastVote(Vote(kind: .precommit, height: c.height, round: c.round, blockHash: c.blockHash,
                                         validator: s.validator, signature: s.signature)))
            }
        }
    }

    /// Re-sends other validators' prevote quorum (polka) for validValue in validRound: a node that
    /// missed those prevotes cannot accept the re-proposal (rule 3) without them, and the paper's
    /// gossip assumption says every correct node's messages of the height eventually arrive.
    mutating func relayPolka() {
        guard let vr = validRound, let v = validValue, let votes else { return }
        for vote in votes.votes(.prevote, round: vr, for: v.id) {   // our own too: it may have left `mine`
            emit(.broadcastVote(vote))
        }
    }

    /// The answer to `needValue`: propose it if this node still proposes at (h, r) and has not yet.
    mutating func proposeNew(height h: UInt64, round r: UInt32, value: Value) {
        guard phase == .running, h == height, r == round, step == .propose,
              proposer(round: r) == signer.publicKey, proposals[r]?.isEmpty ?? true else { return }
        signProposal(value, validRound: nil)
    }

    /// Block sync: the caller verified `certificate` for this height; decide its value.
    mutating func decideSynced(value: Value, certificate: CommitCertificate) {
        guard phase == .running, certificate.height == height, certificate.blockHash == value.id else { return }
        decide(Decision(height: height, value: value, certificate: certificate))
    }

    mutating func decide(_ d: Decision<Value>) {
        precondition(phase == .running && d.height == height && decision == nil, "one decision per height")
        decision = d
        phase = .decided
        emit(.decide(d))
    }

    /// Asks for block sync once per rebroadcast period when validators holding more than 1/3 of
    /// the power were heard at a later height (at least one correct validator decided this one).
    /// True when some round has a precommit quorum for a block id this node holds no valid proposal
    /// for: the height is decided, and only block sync can give this node the value.
    private var certifiedWithoutProposal: Bool {
        guard let votes else { return false }
        return votes.roundsSeen.contains { r in
            votes.quorumPrecommitID(round: r).map { id in
                !(proposals[r] ?? []).contains { $0.value.id == id && validity[id] != false }
            } ?? false
        }
    }

    mutating func checkSync() {
        guard phase == .running, !syncRequested, let set = votes?.validators else { return }
        var power: UInt64 = 0
        for (key, h) in heardAt where h > height { power += set.validator(key)?.power ?? 0 }
        guard power.multipliedReportingOverflow(by: 3).partialValue > set.totalPower || certifiedWithoutProposal else { return }
        syncRequested = true
        emit(.requestSync(height: height))
    }
}
