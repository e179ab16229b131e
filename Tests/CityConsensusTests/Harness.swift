import CityConsensus
import CityEncoding
import CityLedger

/// One core under test among `powers.count` validators, fed hand-written events.
struct Harness {
    let set: ValidatorSet
    let count: Int
    let me: Int
    var core: ConsensusCore<TestValue>
    /// Every action the core emitted, in order.
    var log: [ConsensusAction<TestValue>] = []

    init(me: Int? = nil, powers: [UInt64] = [1, 1, 1, 1], restoring: SignRecord<TestValue>? = nil, height: UInt64 = 1) {
        set = Fixture.validatorSet(powers: powers)
        count = powers.count
        let schedule = ProposerSchedule(set)
        let keys = (0..<powers.count).map { Fixture.key($0).ledgerPublicKey }
        // By default: a validator that proposes in neither round 0 nor round 1 of `height`.
        let chosen = me ?? keys.indices.first { i in
            schedule.proposer(height: height, round: 0).publicKey != keys[i] && schedule.proposer(height: height, round: 1).publicKey != keys[i]
        }!
        self.me = chosen
        core = ConsensusCore(config: Fixture.config(), signer: Ed25519Signer(Fixture.key(chosen)), restoring: restoring)
    }

    /// The index of the proposer of (h, r).
    func proposer(_ h: UInt64, _ r: UInt32) -> Int {
        let pk = ProposerSchedule(set).proposer(height: h, round: r).publicKey
        return (0..<count).first { Fixture.key($0).ledgerPublicKey == pk }!
    }

    /// Validators other than this one, in index order.
    var others: [Int] { (0..<count).filter { $0 != me } }

    @discardableResult
    mutating func send(_ e: ConsensusEvent<TestValue>) -> [ConsensusAction<TestValue>] {
        let out = core.handle(e)
        log += out
        return out
    }

    @discardableResult
    mutating func start(_ h: UInt64 = 1) -> [ConsensusAction<TestValue>] { send(.startHeight(height: h, validators: set, previous: nil)) }

    /// Delivers the round's proposal from its proposer and answers validation with `valid`.
    @discardableResult
    mutating func propose(_ v: TestValue, h: UInt64 = 1, r: UInt32, vr: UInt32? = nil, valid: Bool = true) -> [ConsensusAction<TestValue>] {
        var out = send(.proposal(Fixture.proposal(h, r, vr, v, by: proposer(h, r))))
        out += send(.validated(height: h, valueID: v.id, isValid: valid))
        return out
    }

    /// Delivers `kind` votes for `hash` from validators `from`.
    @discardableResult
    mutating func votes(_ kind: VoteKind, h: UInt64 = 1, r: UInt32, _ hash: Hash32?, from: [Int]) -> [ConsensusAction<TestValue>] {
        from.flatMap { send(.vote(Fixture.vote(kind, h, r, hash, by: $0))) }
    }
}

extension Array where Element == ConsensusAction<TestValue> {
    /// The votes broadcast by these actions.
    var votes: [Vote] { compactMap { if case let .broadcastVote(v) = $0 { v } else { nil } } }
    /// The proposals broadcast.
    var proposals: [Proposal<TestValue>] { compactMap { if case let .broadcastProposal(p) = $0 { p } else { nil } } }
    /// The timeouts scheduled.
    var timeouts: [ConsensusTimeout] { compactMap { if case let .scheduleTimeout(t, _) = $0 { t } else { nil } } }
    /// The decisions.
    var decisions: [Decision<TestValue>] { compactMap { if case let .decide(d) = $0 { d } else { nil } } }
    /// The sign records.
    var records: [SignRecord<TestValue>] { compactMap { if case let .signing(r) = $0 { r } else { nil } } }
    /// The evidence.
    var evidence: [EquivocationEvidence<TestValue>] { compactMap { if case let .evidence(e) = $0 { e } else { nil } } }
}
