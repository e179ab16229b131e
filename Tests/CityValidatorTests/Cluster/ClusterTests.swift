import CityTestSupport
import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityWire
import Foundation
import Testing
@testable import CityValidator

/// Four validators in this process over real TLS on loopback: consensus, gossip, commit, block
/// sync, the commit stream and submission, end to end.
@Suite(.serialized) struct ClusterTests {
    typealias F = MempoolFixture

    @Test func fourValidatorsCommitTheSameChain() async throws {
        let cluster = try TestCluster()
        let validators = try (0..<4).map { try cluster.makeValidator($0, signer: TestCluster.signer($0)) }
        let client = try cluster.client(.agency("tax-office"))
        let admin = try cluster.client(.admin)
        try await withValidators(validators) { addresses in
            let txs = (1...60).map { F.parking(UInt64($0), expires: 500) }
            // Spread submissions over the validators; each gossips them to the others.
            for (i, tx) in txs.enumerated() {
                let (host, port) = ValidatorEngine.split(addresses[i % 4])!
                let r = try await client.withConnection(host: host, port: port, expecting: .validator) { c in
                    try SubmitResponse(canonicalBytes: try await c.request(ValidatorAPI.submit, SubmitRequest(transaction: tx).canonicalBytes))
                }
                #expect(r.id == tx.id)
                #expect(r.status == .pending)
            }
            let ids = Set(txs.map(\.id))
            // Every transaction committed on every validator.
            for v in validators {
                try await eventually("all transactions committed on \(v.runtime.node.identity.name)") {
                    for id in ids { guard case .committed = await v.node.status(of: id) else { return false } }
                    return true
                }
            }
            // Same blocks everywhere: compare each validator's chain through validator.blocks.
            try await eventually("equal heights") {
                var hs = Set<UInt64>()
                for v in validators { hs.insert(await v.node.height) }
                return hs.count == 1
            }
            var chains: [[Hash32]] = []
            for a in addresses {
                let (host, port) = ValidatorEngine.split(a)!
                let blocks = try await admin.withConnection(host: host, port: port, expecting: .validator) { c in
                    try BlocksResponse(canonicalBytes: try await c.request(ValidatorAPI.blocks, BlocksRequest(from: 1, maxCount: 256).canonicalBytes))
                }
                chains.append(blocks.blocks.map(\.block.header.hash))
                let committed = blocks.blocks.flatMap(\.block.transactions).map(\.id)
                #expect(Set(committed) == ids, "every submitted transaction appears, once")
                #expect(committed.count == ids.count)
            }
            let shortest = chains.map(\.count).min()!
            #expect(shortest > 0)
            #expect(Set(chains.map { Array($0.prefix(shortest)) }).count == 1, "no fork")
        }
    }
}
