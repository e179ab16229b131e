import CityTestSupport
import CityChainAPI
import CityLedger
import Foundation
import Testing
@testable import CityValidator

/// Block sync checks every fetched block as the next one with the shared check
/// (`ChainTracker.checkNext`: height, chain, parent, the validator set named, the certificate),
/// then executes it to its state root; a block that fails is not applied and the batch stops.
@Suite struct BlockSyncTests {
    typealias F = MempoolFixture

    @Test func blockSyncAppliesOnlyBlocksThatFollowAndAreCertified() async throws {
        let cluster = try TestCluster()
        let ports = TestCluster.freePorts(4)
        let a = ports.map { "127.0.0.1:\($0)" }
        let validators = try cluster.makeValidators(ports: ports)
        let agency = try cluster.client(.agency("admin-a"))
        let reader = try cluster.client(.admin)
        // A node that has not followed the chain (not running: only its block sync is exercised).
        let fresh = try cluster.makeValidator(4, signer: nil)
        let chain: [CertifiedBlock] = try await withThrowingDiscardingTaskGroup { group in
            for v in validators { group.addTask { try await v.run() } }
            for v in validators { _ = try await v.address() }
            for i in 1...4 { _ = try await agency.submit(F.parking(UInt64(i), expires: 500), to: a[i % 4], waitMillis: 10_000) }
            let blocks = try await reader.blocks(a[0])
            for v in validators { await v.stop() }
            return blocks
        }
        try #require(chain.count >= 3)
        let node = fresh.node

        var gap = chain
        gap.removeFirst()
        #expect(await node.applyCertified(gap, from: "gap") == 0, "a batch that skips a height")

        var forged = chain[0]
        forged.block.header.timeMillis += 1   // another block than the one certified
        #expect(await node.applyCertified([forged], from: "forged") == 0, "a block its certificate does not certify")

        var otherChain = chain[0]
        otherChain.block.header.chainID = "another-city"
        #expect(await node.applyCertified([otherChain], from: "other-chain") == 0, "a block of another chain")

        let weak = CertifiedBlock(block: chain[0].block, certificate: CommitCertificate(
            height: chain[0].certificate.height, round: chain[0].certificate.round, blockHash: chain[0].certificate.blockHash,
            signatures: Array(chain[0].certificate.signatures.prefix(2))))
        #expect(await node.applyCertified([weak], from: "weak") == 0, "a certificate of 2 of 4 validators (not more than 2/3)")
        #expect(await node.height == 0, "nothing refused was applied")

        var brokenLink = Array(chain.prefix(3))
        brokenLink[1] = chain[2]   // block 3 where block 2 belongs
        #expect(await node.applyCertified(brokenLink, from: "broken-link") == 1, "the batch stops at the first block that does not follow")
        #expect(await node.height == 1)

        #expect(await node.applyCertified(chain, from: "honest") == chain.count - 1)
        #expect(await node.height == chain.last!.height)
        #expect(await node.status().lastBlockHash == chain.last!.block.header.hash)
    }
}
