import CityTestSupport
import CityChainAPI
import CityConsensus
import CityEncoding
import CityLedger
import CityWire
import Testing
@testable import CityValidator

/// Compact proposals (issue 13 item 2) between four in-process validators over real TLS: a
/// follower that lacks a proposal's transactions fetches them from the proposer and votes for the
/// block; a proposer that withholds them gets nil prevotes and the next round commits without it.
@Suite(.serialized) struct CompactProposalTests {
    typealias F = MempoolFixture

    /// Validator 0 keeps its transactions to itself (`faults`), so the others can only learn them
    /// from its proposals.
    func cluster(_ faults: ValidatorSettings.ValidatorFaults) throws -> (TestCluster, [TestValidator]) {
        let cluster = try TestCluster()
        let validators = try (0..<4).map { i in
            try cluster.makeValidator(i, signer: TestCluster.signer(i), faults: i == 0 ? faults : .init())
        }
        return (cluster, validators)
    }

    @Test(.timeLimit(.minutes(2))) func followersFetchTransactionsTheyNeverReceivedAndCommitTheBlock() async throws {
        var quiet = ValidatorSettings.ValidatorFaults()
        quiet.gossipsTransactions = false
        let (cluster, validators) = try cluster(quiet)
        let agency = try cluster.client(.agency("tax-office"))
        try await withValidators(validators) { addresses in
            let txs = (1...20).map { F.parking(UInt64($0), expires: 500) }
            for tx in txs { _ = try await agency.submit(tx, to: addresses[0]) }
            #expect(await validators[1].node.mempool.count == 0, "the others never received them by gossip")
            // Only validator 0's proposals can carry them; its followers fetch them to validate.
            for v in validators {
                try await eventually("every transaction committed on \(v.runtime.node.identity.name)") {
                    for tx in txs { guard case .committed = await v.node.status(of: tx.id) else { return false } }
                    return true
                }
            }
        }
    }

    @Test(.timeLimit(.minutes(2))) func aWithholdingProposerGetsNilPrevotesAndTheNextRoundCommits() async throws {
        var withholding = ValidatorSettings.ValidatorFaults()
        withholding.gossipsTransactions = false
        withholding.servesProposalTransactions = false
        let (cluster, validators) = try cluster(withholding)
        let agency = try cluster.client(.agency("tax-office"))
        let admin = try cluster.client(.admin)
        let kept = F.parking(1, expires: 1000)
        let schedule = ProposerSchedule(try ValidatorSet(F.genesis.validators))
        let v0 = F.validatorKeys[0].ledgerPublicKey
        try await withValidators(validators) { addresses in
            _ = try await agency.submit(kept, to: addresses[0])   // in validator 0's proposals, never anywhere else
            // A height already under way may hold a proposal of validator 0's made before it had `kept`.
            let from = await validators[0].node.height + 2
            var nonce: UInt64 = 100
            // Transactions for the others' blocks, until a height validator 0 proposed first has committed.
            try await eventually("a height whose round-0 proposer was validator 0 committed") {
                nonce += 1
                _ = try await agency.submit(F.parking(nonce, expires: 1000), to: addresses[1 + Int(nonce % 3)])
                let chain = try await admin.blocks(addresses[1])
                return chain.contains { $0.height >= from && schedule.proposer(height: $0.height, round: 0).publicKey == v0 }
            }
            let chain = try await admin.blocks(addresses[1])
            for b in chain where b.height >= from && schedule.proposer(height: b.height, round: 0).publicKey == v0 {
                #expect(b.certificate.round >= 1, "height \(b.height): validator 0's round-0 proposal was not made whole, so it did not commit")
                #expect(b.block.header.proposer != v0)
            }
            #expect(!chain.flatMap(\.block.transactions).contains { $0.id == kept.id }, "the withheld transaction never committed")
        }
    }
}
