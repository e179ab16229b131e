import CityTestSupport
import CityChainAPI
import CityConsensus
import CityEncoding
import CityLedger
import Foundation
import Testing
@testable import CityValidator

/// A Byzantine validator's two conflicting votes for one step reach a correct validator: it
/// detects the equivocation, gossips the evidence, a block records it on chain (once), and the
/// chain keeps deciding.
@Suite(.serialized) struct EquivocationTests {
    typealias F = MempoolFixture

    @Test func conflictingVotesAreDetectedAndTheChainGoesOn() async throws {
        let cluster = try TestCluster()
        let ports = TestCluster.freePorts(4)
        let addresses = ports.map { "127.0.0.1:\($0)" }
        // Validator 3 does not run: its key plays the Byzantine validator (10 of 40 power, < 1/3).
        let validators = try (0..<3).map { try cluster.makeValidator($0, signer: TestCluster.signer($0), port: ports[$0], peers: addresses) }
        let agency = try cluster.client(.agency("tax-office"))
        try await withValidators(validators, connect: false) { a in
            _ = try await agency.submit(F.parking(1, expires: 500), to: a[0], waitMillis: 10_000)
            let node = validators[0].node
            let byzantine = TestCluster.signer(3)
            func vote(_ salt: String, _ h: UInt64) -> Vote {
                let hash = Hash32.sha256(Array(salt.utf8))
                let bytes = Vote.signBytes(chainID: F.chainID, kind: .prevote, height: h, round: 0, blockHash: hash)
                return Vote(kind: .prevote, height: h, round: 0, blockHash: hash, validator: byzantine.publicKey,
                            signature: byzantine.sign(bytes))
            }
            // Both votes for the height node 0 decides next (a vote for it starts that height there).
            let h = await node.height + 1
            await node.receive([.vote(vote("a", h)), .vote(vote("b", h))], from: "byzantine", preverified: [true, true])
            try await eventually("the equivocation is seen") { await node.status().evidenceSeen >= 1 }
            let reader = try cluster.client(.admin)
            try await eventually("a block records the evidence") {
                try await reader.blocks(a[2]).contains { !$0.block.evidence.isEmpty }
            }
            let recorded = try await reader.blocks(a[1]).flatMap(\.block.evidence)
            #expect(recorded.count == 1, "recorded once")
            #expect(recorded.first?.offender == byzantine.publicKey)
            #expect(recorded.first?.height == h)
            let r = try await agency.submit(F.parking(3, expires: 500), to: a[1], waitMillis: 10_000)
            guard case .committed = r.status else { Issue.record("no commit after the equivocation: \(r)"); return }
        }
    }
}
