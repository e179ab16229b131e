import CityEncoding
import CityLedger

/// Tendermint (Buchman, Kwon, Milosevic 2018, Algorithm 1) as a pure, deterministic state machine:
/// `handle(event)` returns the actions the caller must carry out, in order. No IO, clock or
/// randomness; the only injected capability is the signer. The rules of CONSENSUS.md are in
/// `ConsensusCore+Rules.swift`, each marked with its number. See docs/CONSENSUS-IMPL.md.
package struct ConsensusCore<Value: ConsensusValue>: Sendable {
    /// Where the core is in its life.
    package enum Phase: Sendable, Equatable {
        /// Waiting for the first `startHeight`.
        case idle
        /// Running the height.
        case running
        /// Decided the height; waiting for the caller's `startHeight(height + 1)`.
        case decided
    }

    /// Timeouts and bounds.
    package let config: ConsensusConfig
    let signer: any ConsensusSigner

    /// The current height (0 before the first `startHeight`).
    package internal(set) var height: UInt64 = 0
    /// The current round.
    package internal(set) var round: UInt32 = 0
    /// The current step.
    package internal(set) var step: ConsensusStep = .propose
    /// Where the core is in its life.
    package internal(set) var phase: Phase = .idle
    /// Round of the lock (the paper's lockedRound; nil for −1).
    package internal(set) var lockedRound: UInt32?
    /// The paper's lockedValue (nil when not locked); persisted with every signature in `SignRecord.lock`.
    package internal(set) var lockedValue: Value?
    /// Id of the locked value (what the rules compare).
    package var lockedID: Hash32? { lockedValue?.id }
    /// The paper's validValue (nil when unknown).
    package internal(set) var validValue: Value?
    /// The paper's validRound (nil for −1).
    package internal(set) var validRound: UInt32?
    /// The last message signed (persisted by the caller); never signed against.
    package internal(set) var lastSigned: SignRecord<Value>?
    /// The decision of the current height, once made.
    package internal(set) var decision: Decision<Value>?
    /// Heights at or below it are never signed (proposals and votes abstain): set by a validator
    /// that may have signed them in an earlier life whose sign record it does not have (a wiped disk,
    /// state sync), from the certificates it sees (issue 18 item 5). 0: no floor.
    package var signFloor: UInt64 = 0

    var schedule: ProposerSchedule?
    var votes: VoteBook?
    /// Proposals from the round's proposer, per round, in arrival order (at most `maxProposalsPerRound`).
    var proposals: [UInt32: [Proposal<Value>]] = [:]
    /// valid(v) answers of this height by value id.
    var validity: [Hash32: Bool] = [:]
    var validationRequested: Set<Hash32> = []
    /// "For the first time" guards: rounds in which rules 4, 5 and 7 already fired.
    var firedRule4: Set<UInt32> = []
    var firedRule5: Set<UInt32> = []
    var firedRule7: Set<UInt32> = []
    var evidenceCount = 0
    /// Own signed messages of this height, newest last, for re-sending.
    var mine: [SignRecord<Value>.Message] = []
    /// Messages for later heights, replayed when their height starts.
    var future: [ConsensusEvent<Value>] = []
    var futureBySender: [PublicKey: Int] = [:]
    /// The highest height each validator of the current set was heard at (block-sync trigger).
    var heardAt: [PublicKey: UInt64] = [:]
    var syncRequested = false
    /// The certificate of height - 1, re-sent as precommits so validators still in it can decide (the paper's gossip).
    var previousCommit: CommitCertificate?
    var outbox: [ConsensusAction<Value>] = []

    /// A core for the validator holding `signer`, restoring `restoring` (the last persisted
    /// `SignRecord`) after a restart so it never signs against it and keeps its lock.
    package init(config: ConsensusConfig, signer: any ConsensusSigner, restoring: SignRecord<Value>? = nil) {
        self.config = config
        self.signer = signer
        lastSigned = restoring
    }

    /// The proposer of (height, round) in the current height's validator set.
    package func proposer(round r: UInt32) -> PublicKey? {
        schedule?.proposer(height: height, round: r).publicKey
    }

    /// Feeds one event; returns the actions to carry out, in order.
    package mutating func handle(_ event: ConsensusEvent<Value>) -> [ConsensusAction<Value>] {
        precondition(outbox.isEmpty, "handle is not reentrant")
        switch event {
        case let .startHeight(h, validators, previous):
            precondition(previous.map { $0.height + 1 == h } ?? true, "the previous certificate is for height - 1")
            startHeight(h, validators: validators)
            previousCommit = previous
        case let .proposal(p): receive(p)
        case let .vote(v): receive(v)
        case let .timeout(t): onTimeout(t)
        case let .valueToPropose(h, r, v): proposeNew(height: h, round: r, value: v)
        case let .validated(h, id, ok):
            if h == height && phase == .running && validationRequested.contains(id) { validity[id] = ok }
        case let .certified(v, cert): decideSynced(value: v, certificate: cert)
        }
        evaluateRules()
        defer { outbox.removeAll() }
        return outbox
    }

    mutating func emit(_ action: ConsensusAction<Value>) {
        precondition(outbox.count < 4096, "one event produced an unbounded number of actions")
        outbox.append(action)
    }

    /// Begins `h` with `validators`: resets the per-height state, restores the persisted position if it is
    /// this height, replays buffered messages and starts the round (rule 1).
    mutating func startHeight(_ h: UInt64, validators: ValidatorSet) {
        precondition(phase == .idle || h > height, "heights only move forward")
        height = h
        phase = .running
        (round, step) = (0, .propose)
        (lockedRound, lockedValue, validValue, validRound, decision) = (nil, nil, nil, nil, nil)
        if schedule?.validators != validators { schedule = ProposerSchedule(validators) }
        votes = VoteBook(validators: validators)
        proposals = [:]
        (validity, validationRequested) = ([:], [])
        (firedRule4, firedRule5, firedRule7) = ([], [], [])
        (evidenceCount, mine, syncRequested) = (0, [], false)
        heardAt = heardAt.filter { validators.validator($0.key) != nil }
        emit(.scheduleTimeout(ConsensusTimeout(height: h, round: 0, kind: .rebroadcast),
                              durationMillis: config.durationMillis(.rebroadcast, round: 0)))
        var first: UInt32 = 0
        if let rec = lastSigned, rec.height == h {
            first = rec.round
            restoreLock(rec.lock)
        }
        startRound(first)
        replayFuture()
    }

    /// Restart in the middle of the height: keep the signed lock, and since validRound ≥ lockedRound
    /// held when it was signed, the locked value with its polka is a valid (value, round) to re-propose.
    private mutating func restoreLock(_ lock: SignRecord<Value>.Lock?) {
        guard let lock, let set = votes?.validators else { return }
        (lockedRound, lockedValue, validRound, validValue) = (lock.round, lock.value, lock.round, lock.value)
        for vote in lock.polka where vote.height == height && set.validator(vote.validator) != nil {
            _ = votes!.add(vote)
        }
    }

    private mutating func replayFuture() {
        let buffered = future
        (future, futureBySender) = ([], [:])
        for event in buffered {
            switch event {
            case let .proposal(p) where p.height >= height: receive(p)
            case let .vote(v) where v.height >= height: receive(v)
            default: continue
            }
        }
    }
}
