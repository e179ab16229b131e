import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import Testing
@testable import CityGateway
@preconcurrency import Crypto

/// The gateway follows the chain with the shared `CertifiedChainFollower`: a validator that sends a
/// forged block is refused (the block never reaches receipts or the key directory) and an honest
/// validator is followed to the head.
@Suite(.serialized) struct GatewayChainWatchTests {
    /// Block 3 certified by a key outside the validator set (plus two real ones: no quorum of the set).
    static let forge: @Sendable (CertifiedBlock) -> CertifiedBlock = { cb in
        guard cb.height == 3 else { return cb }
        var b = cb
        let other = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0x77, count: 32))
        b.certificate = CommitCertificate(height: 3, round: 0, blockHash: cb.block.header.hash, precommits: ([other] + F.validatorKeys.prefix(2)).map {
            try! Vote.sign(kind: .precommit, height: 3, round: 0, blockHash: cb.block.header.hash, chainID: F.chainID, key: $0)
        })
        return b
    }

    func watch(_ servers: [ChainServer], ca: CertificateAuthority) throws -> (ChainWatch, UpstreamPool) {
        let tls = try TLSIdentity(issued: ca.issue(role: .gateway, name: "gateway-test"))
        let client = try WireClient(tls: TLSSetup.client(tls), logger: testLogger)
        let pool = UpstreamPool(role: .validator, client: client, connectionsPerUpstream: 1, logger: testLogger) { conn in
            try ValidatorStatus(canonicalBytes: try await conn.request(ValidatorAPI.status, [])).height
        }
        pool.setAddresses(Set(servers.map(\.address)))
        return (try ChainWatch(genesis: F.genesis, pool: pool, logger: testLogger), pool)
    }

    @Test(.timeLimit(.minutes(2))) func aForgedBlockIsRefusedAndAnHonestValidatorFollowed() async throws {
        var chain = IndexerChain()
        for i in 0..<5 { chain.block([chain.parking(i)]) }
        let holder = ChainHolder(chain)
        let ca = try CertificateAuthority.create()
        let byzantine = try await ChainServer(holder: holder, ca: ca, name: "byzantine", tamper: Self.forge, logger: testLogger)
        let (watch, pool) = try watch([byzantine], ca: ca)
        let running = Task { try await watch.run() }
        try await eventually("a refusal") { await watch.refusedBlocks["\(byzantine.address)", default: 0] >= 2 }
        #expect(await watch.height == 2, "the forged block 3 was not applied, nor anything after it")
        #expect(await watch.block(at: 3) == nil)
        #expect(await !watch.caughtUp)

        // An honest validator joins: the watch follows it past the forged height to the head.
        let honest = try await ChainServer(holder: holder, ca: ca, name: "honest", logger: testLogger)
        pool.setAddresses([byzantine.address, honest.address])
        try await eventually("the head") { await watch.height == chain.height }
        #expect(await watch.block(at: 3)?.certificate == chain.blocks[2].certificate, "block 3 is the honestly certified one")
        running.cancel()
        pool.shutdown()
        await byzantine.stop()
        await honest.stop()
    }
}
