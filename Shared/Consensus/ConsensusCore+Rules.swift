import CityEncoding
import CityLedger

/// CONSENSUS.md rules 1–9 (rule 10 is `onTimeout`). `evaluateRules` re-checks every guarded
/// rule until none fires, so the order events arrive in does not matter.
extension ConsensusCore {
    /// Fires enabled rules until none is; bounded because each firing advances (height, round, step)
    /// or sets a "first time" guard.
    mutating func evaluateRules() {
        for _ in 0..<256 {
            guard phase == .running else { return }
            if rule8Commit() || rule9RoundSkip() || rule2And3Prevote() || rule5Lock() || rule6NilPrecommit() {
                continue
            }
            rule4PrevoteTimeout()
            rule7PrecommitTimeout()
            checkSync()
            return
        }
        preconditionFailure("rules kept firing: a guard is missing")
    }

    /// Rule 1: start round r; the proposer proposes validValue (with validRound) or asks for a new value.
    mutating func startRound(_ r: UInt32) {
        precondition(phase == .running && (r > round || (r == round && step == .propose)), "rounds only move forward")
        (round, step) = (r, .propose)
        if let rec = lastSigned, rec.height == height, rec.round == r {
            // Restarted after signing in this round: resume at that step, re-sending what was signed.
            step = rec.step
            for m in rec.earlier { deliverOwn(m) }
            deliverOwn(rec.message)
        } else if proposer(round: r) == signer.publicKey {
            if let v = validValue {
                signProposal(v, validRound: validRound)
            } else {
                emit(.needValue(height: height, round: r))
            }
        }
        // Deviation (documented): the proposer also arms the timer, so a builder that never answers
        // costs one timeout instead of the round.
        emit(.scheduleTimeout(ConsensusTimeout(height: height, round: r, kind: .propose),
                              durationMillis: config.durationMillis(.propose, round: r)))
    }

    /// Rules 2 and 3: the first proposal of the round while in the propose step.
    private mutating func rule2And3Prevote() -> Bool {
        guard step == .propose, let votes else { return false }
        for p in proposals[round] ?? [] {
            guard let ok = validity[p.value.id] else { continue }   // valid(v) not answered yet
            let id = p.value.id
            if let vr = p.validRound {
                // Rule 3: re-proposal backed by a prevote quorum in round vr < round.
                guard vr < round, isQuorum(votes.power(.prevote, round: vr, for: id)) else { continue }
                let free = lockedRound.map { $0 <= vr } ?? true
                castVote(.prevote, ok && (free || lockedID == id) ? id : nil)
            } else {
                // Rule 2: fresh proposal.
                castVote(.prevote, ok && (lockedRound == nil || lockedID == id) ? id : nil)
            }
            return true
        }
        return false
    }

    /// Rule 4: any prevote quorum in this round while prevoting → arm the prevote timeout, once.
    private mutating func rule4PrevoteTimeout() {
        guard step == .prevote, let votes, isQuorum(votes.totalPower(.prevote, round: round)),
              firedRule4.insert(round).inserted else { return }
        emit(.scheduleTimeout(ConsensusTimeout(height: height, round: round, kind: .prevote),
                              durationMillis: config.durationMillis(.prevote, round: round)))
    }

    /// Rule 5: the proposal and a prevote quorum for it in this round, valid, step ≥ prevote, once per round.
    private mutating func rule5Lock() -> Bool {
        guard step >= .prevote, !firedRule5.contains(round), let votes else { return false }
        for p in proposals[round] ?? [] where validity[p.value.id] == true {
            guard isQuorum(votes.power(.prevote, round: round, for: p.value.id)) else { continue }
            firedRule5.insert(round)
            validValue = p.value
            validRound = round
            if step == .prevote {
                (lockedRound, lockedValue) = (round, p.value)   // lock before signing: the record carries it
                castVote(.precommit, p.value.id)
            }
            return true
        }
        return false
    }

    /// Rule 6: a prevote quorum for nil in this round while prevoting → precommit nil.
    private mutating func rule6NilPrecommit() -> Bool {
        guard step == .prevote, let votes, isQuorum(votes.power(.prevote, round: round, for: nil)) else { return false }
        castVote(.precommit, nil)
        return true
    }

    /// Rule 7: any precommit quorum in this round → arm the precommit timeout, once.
    private mutating func rule7PrecommitTimeout() {
        guard let votes, isQuorum(votes.totalPower(.precommit, round: round)), firedRule7.insert(round).inserted else { return }
        emit(.scheduleTimeout(ConsensusTimeout(height: height, round: round, kind: .precommit),
                              durationMillis: config.durationMillis(.precommit, round: round)))
    }

    /// Rule 8: a proposal of any round r and a precommit quorum for it in r, valid → decide.
    private mutating func rule8Commit() -> Bool {
        guard decision == nil, let votes else { return false }
        for r in proposals.keys.sorted() {
            for p in proposals[r] ?? [] where validity[p.value.id] == true {
                let precommits = votes.votes(.precommit, round: r, for: p.value.id)
                guard isQuorum(votes.power(.precommit, round: r, for: p.value.id)) else { continue }
                let cert = CommitCertificate(height: height, round: r, blockHash: p.value.id, precommits: precommits)
                precondition(cert.signatures.count == precommits.count, "certificate keeps every counted precommit")
                decide(Decision(height: height, value: p.value, certificate: cert))
                return true
            }
        }
        return false
    }

    /// Rule 9: messages from more than 1/3 of the power in a later round → start the highest such round.
    private mutating func rule9RoundSkip() -> Bool {
        guard let votes else { return false }
        let target = votes.roundsSeen.last { r in
            r > round && votes.senderPower(round: r).multipliedReportingOverflow(by: 3).partialValue > votes.validators.totalPower
        }
        guard let target else { return false }
        startRound(target)
        return true
    }

    func isQuorum(_ power: UInt64) -> Bool { votes?.validators.isQuorum(power) ?? false }
}
