import CityConsensus
import CityEncoding
import CityLedger

/// A deterministic simulation of N validators in one process: virtual time, a seeded lossy network,
/// partitions, crashes with restart from persisted state, one equivocating validator, and the
/// invariants of CONSENSUS.md checked as it runs. The same seed replays the same run exactly.
final class Simulation {
    let seed: UInt64
    var rng: SimRandom
    let scenario: SimScenario
    let validators: ValidatorSet
    let config: ConsensusConfig
    var nodes: [SimNode]
    var queue = EventQueue<SimEvent>(capacity: 200_000)
    var now: UInt64 = 0
    var faulty = true
    var blocked: [Bool]   // blocked[from * n + to]
    var nextTx: UInt64 = 1
    var submitted: Set<UInt64> = []
    /// Agreement: the first value decided at each height by a correct node.
    var decidedAt: [UInt64: Hash32] = [:]
    /// No double signing: what each correct validator voted per (validator, height, round, kind).
    var signedVotes: [VoteSlot: Hash32?] = [:]
    var checks = SignatureChecks()
    var violations: [String] = []
    var trace: [(UInt64, SimEvent)] = []
    var traceNext = 0
    static let traceLength = 60
    var heightsAtFaultsEnd: UInt64 = 0
    var stats = (events: 0, messages: 0, decisions: 0, evidence: 0, syncs: 0, fetches: 0, withheld: 0)
    let blockIntervalMillis: UInt64 = 150

    struct VoteSlot: Hashable { let validator: Int; let height: UInt64; let round: UInt32; let kind: VoteKind }

    init(seed: UInt64) {
        self.seed = seed
        var rng = SimRandom(seed: seed)
        let n = rng.chance(70) ? rng.int(4...6) : rng.int(7...10)
        let byz: Int? = rng.chance(70) ? rng.int(0...(n - 1)) : nil
        let powers = (0..<n).map { i in i == byz ? UInt64(1) : UInt64(rng.int(1...3)) }
        var scenario = SimScenario(nodes: n, powers: powers, byzantine: byz, faultsEndMillis: UInt64(rng.int(1000...5000)),
                               dropPercent: UInt64(rng.int(0...30)), duplicatePercent: UInt64(rng.int(0...10)),
                               longDelayPercent: UInt64(rng.int(0...15)), crashes: rng.int(0...3),
                               partitions: rng.int(0...3), wipePercent: 25)
        scenario.withholdPercent = UInt64(rng.int(0...100))
        scenario.slowFetchPercent = UInt64(rng.int(0...20))
        self.scenario = scenario
        self.rng = rng
        validators = Fixture.validatorSet(powers: powers)
        var c = ConsensusConfig(chainID: Fixture.chainID)
        (c.proposeBaseMillis, c.proposeDeltaMillis) = (200, 50)
        (c.prevoteBaseMillis, c.prevoteDeltaMillis) = (100, 50)
        (c.precommitBaseMillis, c.precommitDeltaMillis) = (100, 50)
        c.rebroadcastMillis = 500
        config = c
        nodes = (0..<n).map { SimNode(index: $0, isByzantine: $0 == byz) }
        blocked = Array(repeating: false, count: n * n)
        precondition(3 * (byz.map { powers[$0] } ?? 0) < powers.reduce(0, +), "Byzantine power under 1/3")
        planFaults()
    }

    /// Schedules the run: boots, transactions, partitions, crashes, and the end of faults.
    private func planFaults() {
        let end = scenario.faultsEndMillis
        for i in nodes.indices { queue.push(.restart(i), at: 0) }
        var t: UInt64 = 10
        while t < end + 3000 {
            queue.push(.submit(tx: 0), at: t)
            t += UInt64(rng.int(20...120))
        }
        for _ in 0..<scenario.partitions {
            let start = rng.below(end)
            let side = (0..<scenario.nodes).map { _ in rng.chance(50) }
            let symmetric = rng.chance(60)
            var mask = Array(repeating: false, count: scenario.nodes * scenario.nodes)
            for a in 0..<scenario.nodes { for b in 0..<scenario.nodes where side[a] && !side[b] {
                mask[a * scenario.nodes + b] = true
                if symmetric { mask[b * scenario.nodes + a] = true }
            } }
            queue.push(.partition(mask), at: start)
            queue.push(.heal, at: min(end, start + UInt64(rng.int(300...2000))))
        }
        let correct = nodes.indices.filter { !nodes[$0].isByzantine }
        for _ in 0..<scenario.crashes {
            let victim = correct[rng.int(0...(correct.count - 1))]
            let at = rng.below(end)
            queue.push(.crash(victim), at: at)
            queue.push(.restart(victim), at: min(end, at + UInt64(rng.int(100...2500))))
        }
        queue.push(.faultsEnd, at: end)
    }

    /// Runs until liveness is met or its deadline passes; returns the violations found.
    func run() -> [String] {
        let deadline = scenario.faultsEndMillis + scenario.livenessMillis
        while let (time, event) = queue.pop() {
            precondition(time >= now, "virtual time never goes back")
            now = time
            guard now <= deadline, violations.isEmpty else { break }
            record(event)
            stats.events += 1
            process(event)
            if !faulty && livenessMet() { break }
        }
        if violations.isEmpty && !livenessMet() {
            let heights = nodes.filter { !$0.isByzantine }.map(\.chain.count)
            violations.append("liveness: correct nodes at heights \(heights) by \(now) ms; needed \(heightsAtFaultsEnd + scenario.livenessHeights)")
        }
        if violations.isEmpty { checkIntegrity() }
        return violations
    }

    private func livenessMet() -> Bool {
        nodes.allSatisfy { $0.isByzantine || UInt64($0.chain.count) >= heightsAtFaultsEnd + scenario.livenessHeights }
    }

    private func record(_ event: SimEvent) {
        if trace.count < Self.traceLength { trace.append((now, event)) } else { trace[traceNext] = (now, event) }
        traceNext = (traceNext + 1) % Self.traceLength
    }

    /// The last events before the end, oldest first.
    var traceTail: [String] {
        let ordered = trace.count < Self.traceLength ? trace : Array(trace[traceNext...] + trace[..<traceNext])
        return ordered.map { "\($0.0) ms: \($0.1)" }
    }

    func violation(_ message: String) {
        violations.append("t=\(now) ms: \(message)")
    }
}
