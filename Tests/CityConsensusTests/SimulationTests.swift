import CityConsensus
import Foundation
import Testing

/// The deterministic simulator over many seeds. Environment:
/// `CITYCHAIN_SIM_SEED=<n>` runs only seed n and prints its trace; `CITYCHAIN_SIM_SEEDS=<count>`
/// runs seeds 1...count (default 500), `CITYCHAIN_SIM_FIRST_SEED` moves the start.
@Suite struct SimulationTests {
    static let lanes = 8
    static let env = ProcessInfo.processInfo.environment

    @Test(arguments: 0..<lanes)
    func seeds(lane: Int) {
        if let one = Self.env["CITYCHAIN_SIM_SEED"].flatMap(UInt64.init) {
            if lane == 0 { runOne(one, verbose: true) }
            return
        }
        let count = Self.env["CITYCHAIN_SIM_SEEDS"].flatMap(UInt64.init) ?? 500
        let first = Self.env["CITYCHAIN_SIM_FIRST_SEED"].flatMap(UInt64.init) ?? 1
        var failures: [UInt64] = []
        var totals = (decisions: 0, evidence: 0, syncs: 0, messages: 0, verifications: 0, fetches: 0, withheld: 0)
        let started = Date()
        for seed in stride(from: first + UInt64(lane), to: first + count, by: Self.lanes) {
            let sim = Simulation(seed: seed)
            let violations = sim.run()
            totals.decisions += sim.stats.decisions
            totals.evidence += sim.stats.evidence
            totals.syncs += sim.stats.syncs
            totals.messages += sim.stats.messages
            totals.fetches += sim.stats.fetches
            totals.withheld += sim.stats.withheld
            totals.verifications += sim.checks.verifications
            if !violations.isEmpty {
                failures.append(seed)
                if failures.count <= 3 { report(sim, violations) }
            }
        }
        print("simulator lane \(lane): \((count + UInt64(Self.lanes) - 1 - UInt64(lane)) / UInt64(Self.lanes)) seeds in "
              + String(format: "%.1f", Date().timeIntervalSince(started)) + " s, \(totals.decisions) decisions, "
              + "\(totals.messages) messages, \(totals.evidence) evidence, \(totals.syncs) sync requests, "
              + "\(totals.fetches) compact-proposal fetches (\(totals.withheld) withheld), "
              + "\(totals.verifications) Ed25519 checks, violations: \(failures.count) \(failures.prefix(20))")
        #expect(failures.isEmpty, "failing seeds: \(failures.prefix(20)); replay one with CITYCHAIN_SIM_SEED=<n>")
    }

    private func runOne(_ seed: UInt64, verbose: Bool) {
        let sim = Simulation(seed: seed)
        let violations = sim.run()
        print("SEED=\(seed) \(sim.scenario) → \(violations.isEmpty ? "ok" : "VIOLATIONS") at \(sim.now) ms, stats \(sim.stats)")
        if !violations.isEmpty || verbose { report(sim, violations) }
        #expect(violations.isEmpty, "SEED=\(seed): \(violations)")
    }

    private func report(_ sim: Simulation, _ violations: [String]) {
        print("SEED=\(sim.seed) \(sim.scenario)")
        for v in violations { print("  violation: \(v)") }
        for n in sim.nodes {
            guard let c = n.core else { print("  node\(n.index): down"); continue }
            print("  node\(n.index)\(n.isByzantine ? " (byz)" : ""): h\(c.height) r\(c.round) \(c.step) \(c.phase) locked r\(c.lockedRound.map(String.init) ?? "-") "
                  + "\(c.lockedID.map { String($0.hex.prefix(8)) } ?? "-") valid r\(c.validRound.map(String.init) ?? "-") \(c.validValue.map(String.init(describing:)) ?? "-")")
            print("      \(c.roundSummary)")
        }
        print("  heights: \(sim.nodes.map(\.chain.count)); trace tail:")
        for line in sim.traceTail { print("    \(line)") }
    }

    @Test func sameSeedReplaysExactly() {
        func fingerprint(_ seed: UInt64) -> String {
            let sim = Simulation(seed: seed)
            _ = sim.run()
            return "\(sim.now) \(sim.stats) \(sim.nodes.map { $0.chain.map(\.value.id.hex) }) \(sim.traceTail)"
        }
        #expect(fingerprint(42) == fingerprint(42))
    }
}
