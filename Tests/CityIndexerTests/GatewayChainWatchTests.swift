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

    func watch(_ servers: [ChainServer], ca: CertificateAuthority, keep: Int = 512,
               clock: MonotonicClock = .system) throws -> (ChainWatch, UpstreamPool) {
        let tls = try TLSIdentity(issued: ca.issue(role: .gateway, name: "gateway-test"))
        let client = try WireClient(tls: TLSSetup.client(tls), logger: testLogger)
        let pool = UpstreamPool(role: .validator, client: client, connectionsPerUpstream: 1, logger: testLogger) { conn in
            try ValidatorStatus(canonicalBytes: try await conn.request(ValidatorAPI.status, [])).height
        }
        pool.setAddresses(Set(servers.map(\.address)))
        return (try ChainWatch(genesis: F.genesis, pool: pool, keep: keep, clock: clock, logger: testLogger), pool)
    }

    /// The blocks kept for receipts lose the payloads an `eraseRecord` erases, as validators' logs do.
    @Test(.timeLimit(.minutes(2))) func keptBlocksLoseTheErasedPayloads() async throws {
        var chain = IndexerChain()
        let visit = chain.medical("patient-3", "allergy: latex")
        chain.block([visit, chain.parking(1)])
        chain.block([chain.tx("hospital", .eraseRecord(dataset: F.medical, subject: F.subject("patient-3"), reason: "request"))])
        let (_, ca, server) = try await ChainServer.serve(chain)
        let (watch, pool) = try watch([server], ca: ca)
        let running = Task { try await watch.run() }
        try await eventually("the head") { await watch.height == 2 }
        let kept = try #require(await watch.block(at: 1))
        #expect(kept.block.transactions[0].payloadErased && kept.block.transactions[0].id == visit.id)
        #expect(kept.block.transactions[1].payloadBytes != nil, "another record's payload stays")
        try kept.block.checkRoots()
        running.cancel()
        pool.shutdown()
        await server.stop()
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

    /// Receipts use only verified blocks: a block not yet followed is waited for (the wait ends when
    /// it arrives), and an older block than the watch keeps is accepted only if the set the watch
    /// saw sign its height certified it.
    @Test(.timeLimit(.minutes(2))) func receiptBlocksAreWaitedForAndOldOnesVerified() async throws {
        var chain = IndexerChain()
        for i in 0..<5 { chain.block([chain.parking(i)]) }
        let holder = ChainHolder(chain)
        let ca = try CertificateAuthority.create()
        let server = try await ChainServer(holder: holder, ca: ca, logger: testLogger)
        let (clock, time) = MonotonicClock.manual()
        let (watch, pool) = try watch([server], ca: ca, keep: 2, clock: clock)
        // The follower sleeps on the manual clock while no upstream is ready: start it once one is.
        try await eventually("a healthy upstream") { pool.anyHealthy }
        let running = Task { try await watch.run() }
        try await eventually("the head") { await watch.height == 5 }

        async let waited = watch.block(at: 7, within: .seconds(60))
        for i in 10..<12 { await holder.edit { c in let tx = c.parking(i); c.block([tx]) } }
        #expect(await waited?.height == 7, "the block arrived while the receipt waited")
        async let late = watch.block(at: 9, within: .milliseconds(50))
        try await time.untilSleepers(atLeast: 1)   // the receipt's wait is asleep on the watch's clock
        time.advance(by: .milliseconds(50))
        #expect(await late == nil, "a block that does not come in time")

        let blocks = await holder.chain.blocks
        #expect(await watch.block(at: 1) == nil, "block 1 is older than the 2 the watch keeps")
        #expect(await watch.verifies(blocks[0]), "an old block certified by the set in force")
        #expect(await !watch.verifies(Self.forge(blocks[2])), "an old block certified by a key outside the set")
        var altered = blocks[1]
        altered.block.header.timeMillis += 1
        #expect(await !watch.verifies(altered), "an old block its certificate does not certify")

        // A kept block as another validator serves it: the same block with the precommits that
        // validator collected (3 of the 4), a different certificate. The receipt after a failover
        // was refused ("no validator returned a block … that verifies") when only an identical
        // copy of the kept one was accepted.
        let head = await watch.height
        let kept = try #require(await watch.block(at: head))
        var other = kept
        other.certificate = CommitCertificate(height: head, round: kept.certificate.round, blockHash: kept.block.header.hash,
                                              precommits: F.validatorKeys.dropFirst().map {
            try! Vote.sign(kind: .precommit, height: head, round: kept.certificate.round, blockHash: kept.block.header.hash,
                           chainID: F.chainID, key: $0)
        })
        let otherVerifies = await watch.verifies(other)
        #expect(other != kept && otherVerifies, "the kept block with another valid certificate")
        var rival = kept   // another block at a kept height, validly certified by the set: not the chain's
        rival.block.header.timeMillis += 1
        rival.certificate = CommitCertificate(height: head, round: 0, blockHash: rival.block.header.hash,
                                              precommits: F.validatorKeys.map {
            try! Vote.sign(kind: .precommit, height: head, round: 0, blockHash: rival.block.header.hash, chainID: F.chainID, key: $0)
        })
        let rivalVerifies = await watch.verifies(rival)
        #expect(!rivalVerifies, "another block at a height the watch kept")
        running.cancel()
        pool.shutdown()
        await server.stop()
    }
}
