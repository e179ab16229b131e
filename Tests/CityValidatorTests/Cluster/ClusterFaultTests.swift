import CityTestSupport
import CityChainAPI
import CityConsensus
import CityEncoding
import CityLedger
import CityPKI
import CityWire
import Foundation
import Testing
@testable import CityValidator
@preconcurrency import Crypto

/// Validators stopped and restarted (from their data directories), quorum lost and regained, an
/// observer promoted by an admin transaction: in this process, over real TLS on loopback.
@Suite(.serialized) struct ClusterFaultTests {
    typealias F = MempoolFixture

    @Test func submitIsIdempotentWaitsForCommitAndRejectsBadTransactions() async throws {
        let cluster = try TestCluster()
        let ports = TestCluster.freePorts(4)
        let validators = try cluster.makeValidators(ports: ports)
        let agency = try cluster.client(.agency("tax-office"))
        try await withValidators(validators, connect: false) { a in
            let tx = F.parking(1, expires: 500)
            let first = try await agency.submit(tx, to: a[0], waitMillis: 15_000)
            guard case .committed(let place) = first.status else { Issue.record("not committed: \(first)"); return }
            // The same transaction again, to every validator: the same place, never a second commit.
            let resigned = F.parking(1, expires: 500)
            try await eventually("every validator knows the commit") {
                for addr in a { guard try await agency.submit(resigned, to: addr).status == .committed(place) else { return false } }
                return true
            }
            let status: TxStatus = try await agency.call(a[2], ValidatorAPI.txStatus, TxStatusRequest(id: tx.id))
            #expect(status == .committed(place))
            // A forged signature is refused with the ledger's typed reason.
            var forged = F.parking(2, expires: 500)
            forged.signatures[0].signature = try F.key("hospital").ledgerSignature(for: forged.body.signingMessage)
            let refused = try await agency.submit(forged, to: a[1])
            #expect(refused.status == .rejected(.badSignature(F.signer("tax-office"))))
            // An indexer certificate may not submit.
            let indexer = try cluster.client(.indexer)
            await #expect(throws: WireError.self) { try await indexer.submit(F.parking(3, expires: 500), to: a[0]) }
            // The chain holds the transaction once.
            let committed = try await cluster.client(.admin).blocks(a[3]).flatMap(\.block.transactions).map(\.id)
            #expect(committed.filter { $0 == tx.id }.count == 1)
        }
    }

    @Test func commitStreamDeliversCertifiedBlocksInOrderAndResumes() async throws {
        let cluster = try TestCluster()
        let validators = try cluster.makeValidators(ports: TestCluster.freePorts(4))
        let agency = try cluster.client(.agency("tax-office"))
        let indexer = try cluster.client(.indexer)
        try await withValidators(validators, connect: false) { a in
            for i in 1...10 { _ = try await agency.submit(F.parking(UInt64(i), expires: 500), to: a[i % 4], waitMillis: 10_000) }
            let set = try ValidatorSet(F.genesis.validators)
            let (host, port) = ValidatorEngine.split(a[1])!
            // Read 3 blocks from height 1, disconnect, resume from 4 and follow live commits.
            let firstThree: [CertifiedBlock] = try await indexer.withConnection(host: host, port: port, expecting: .validator) { c in
                var got: [CertifiedBlock] = []
                for try await item in c.stream(ValidatorAPI.commits, CommitsRequest(from: 1).canonicalBytes) {
                    got.append(try CertifiedBlock(canonicalBytes: item))
                    if got.count == 3 { break }
                }
                return got
            }
            #expect(firstThree.map(\.height) == [1, 2, 3])
            let target = await validators[1].node.height + 3
            let rest: [CertifiedBlock] = try await indexer.withConnection(host: host, port: port, expecting: .validator) { c in
                var got: [CertifiedBlock] = []
                let stream = c.stream(ValidatorAPI.commits, CommitsRequest(from: 4).canonicalBytes)
                async let more: Void = {
                    for i in 11...40 { _ = try? await agency.submit(F.parking(UInt64(i), expires: 500), to: a[i % 4]) }
                }()
                for try await item in stream {
                    got.append(try CertifiedBlock(canonicalBytes: item))
                    if got.last!.height >= target { break }
                }
                await more
                return got
            }
            let all = firstThree + rest
            #expect(all.map(\.height) == Array(1...all.last!.height), "consecutive, no gap, no duplicate")
            var previous = F.genesis.hash
            for b in all {
                try b.verify(validatorSet: set)
                #expect(b.block.header.previousHash == previous)
                previous = b.block.header.hash
            }
            // Agencies read the chain through the indexer, not the validators' raw blocks.
            await #expect(throws: WireError.self) { try await agency.blocks(a[0]) }
        }
    }

    @Test func aStoppedValidatorCatchesUpByBlockSyncAfterRestart() async throws {
        let cluster = try TestCluster()
        let ports = TestCluster.freePorts(4)
        let validators = try cluster.makeValidators(ports: ports)
        let agency = try cluster.client(.agency("tax-office"))
        let reader = try cluster.client(.admin)
        let a = ports.map { "127.0.0.1:\($0)" }
        try await withThrowingDiscardingTaskGroup { group in
            for v in validators { group.addTask { try await v.run() } }
            for v in validators { _ = try await v.address() }
            _ = try await agency.submit(F.parking(1, expires: 500), to: a[0], waitMillis: 10_000)
            await validators[3].stop()
            // Three of four (30 of 40 power) keep committing.
            var last: SubmitResponse?
            for i in 2...30 { last = try await agency.submit(F.parking(UInt64(i), expires: 500), to: a[i % 3], waitMillis: i == 30 ? 15_000 : 0) }
            guard case .committed(let place)? = last?.status else { Issue.record("no commit with 3 of 4: \(String(describing: last))"); return }
            let restarted = try cluster.makeValidator(3, signer: TestCluster.signer(3), port: ports[3], peers: a)
            group.addTask { try await restarted.run() }
            try await eventually("the restarted validator syncs to height \(place.height)") { await restarted.node.height >= place.height }
            let mine = try await reader.blocks(a[3]).map(\.block.header.hash)
            let theirs = try await reader.blocks(a[0]).map(\.block.header.hash)
            #expect(Array(theirs.prefix(mine.count)) == mine)
            for v in validators.prefix(3) { await v.stop() }
            await restarted.stop()
        }
    }

    /// A certificate revoked on chain (`revokeCertificate`, issue 17 item 3): once the block commits
    /// every validator refuses it, and a validator restarted from its data directory still does
    /// (the list comes from the state it rebuilds).
    @Test func aCertificateRevokedOnChainIsRefusedByEveryValidatorAndAfterARestart() async throws {
        let cluster = try TestCluster()
        let ports = TestCluster.freePorts(4)
        let validators = try cluster.makeValidators(ports: ports)
        let a = ports.map { "127.0.0.1:\($0)" }
        let leaked = try TLSIdentity(issued: cluster.ca.issue(role: .agency("tax-office"), name: "tax-office"))
        let fingerprint = try PeerIdentity(certificate: leaked.certificateChain[0]).fingerprint
        let agency = try WireClient(tls: TLSSetup.client(leaked), logger: cluster.logger)
        let admin = try cluster.client(.admin)
        /// Whether the validator at `address` refuses the leaked certificate as revoked.
        func refuses(_ address: String) async -> Bool {
            do {
                _ = try await agency.submit(F.parking(99, expires: 500), to: address)
                return false
            } catch let e as WireError { return e.code == .forbidden && e.message.contains("revoked on chain") } catch { return false }
        }
        try await withThrowingDiscardingTaskGroup { group in
            for v in validators { group.addTask { try await v.run() } }
            for v in validators { _ = try await v.address() }
            guard case .committed = try await agency.submit(F.parking(1, expires: 500), to: a[0], waitMillis: 10_000).status else {
                Issue.record("the certificate did not work before its revocation"); return
            }
            let revoke = F.tx("admin-a", .revokeCertificate(fingerprint: Hash32(hex: fingerprint)!, reason: "leaked"), nonce: 901, cosigners: ["admin-b"])
            guard case .committed(let place) = try await admin.submit(revoke, to: a[1], waitMillis: 15_000).status else {
                Issue.record("the revocation did not commit"); return
            }
            for (i, address) in a.enumerated() {
                try await eventually("validator-\(i) refuses the revoked certificate") { await refuses(address) }
                #expect(await validators[i].node.revocations.revokedAt(fingerprint) == place.height)
            }
            await validators[3].stop()
            let restarted = try cluster.makeValidator(3, signer: TestCluster.signer(3), port: ports[3], peers: a)
            group.addTask { try await restarted.run() }
            _ = try await restarted.address()
            #expect(restarted.node.revocations.revokedAt(fingerprint) == place.height, "the restarted validator rebuilt the list")
            #expect(await refuses(a[3]))
            for v in validators.prefix(3) { await v.stop() }
            await restarted.stop()
        }
    }

    @Test func aRestartStartsFromTheNewestSnapshotAndReplaysOnlyTheRest() async throws {
        let cluster = try TestCluster()
        let ports = TestCluster.freePorts(4)
        let validators = try cluster.makeValidators(ports: ports, snapshotEveryBlocks: 3)
        let agency = try cluster.client(.agency("tax-office"))
        let a = ports.map { "127.0.0.1:\($0)" }
        try await withThrowingDiscardingTaskGroup { group in
            for v in validators { group.addTask { try await v.run() } }
            for v in validators { _ = try await v.address() }
            for i in 1...8 { _ = try await agency.submit(F.parking(UInt64(i), expires: 500), to: a[i % 4], waitMillis: 10_000) }
            try await eventually("a snapshot file exists") {
                let files = (try? FileManager.default.contentsOfDirectory(atPath: validators[0].node.snapshotDirectory)) ?? []
                return files.contains { $0.hasSuffix(".snap") }
            }
            await validators[0].stop()
            let stoppedAt = await validators[0].node.height
            let restarted = try cluster.makeValidator(0, signer: TestCluster.signer(0), port: ports[0], peers: a, snapshotEveryBlocks: 3)
            #expect(restarted.node.restoredFromSnapshot != nil, "the state came from a snapshot")
            #expect((restarted.node.restoredFromSnapshot ?? 0) >= 3)
            group.addTask { try await restarted.run() }
            _ = try await restarted.address()
            #expect(await restarted.node.height >= stoppedAt)
            let r = try await agency.submit(F.parking(99, expires: 500), to: a[0], waitMillis: 10_000)
            guard case .committed = r.status else { Issue.record("the restarted validator does not commit: \(r)"); return }
            for v in validators.dropFirst() { await v.stop() }
            await restarted.stop()
        }
    }

    @Test func withoutQuorumNothingCommitsAndAfterRestartCommitsResume() async throws {
        let cluster = try TestCluster()
        let ports = TestCluster.freePorts(4)
        let validators = try cluster.makeValidators(ports: ports)
        let agency = try cluster.client(.agency("tax-office"))
        let reader = try cluster.client(.admin)
        let a = ports.map { "127.0.0.1:\($0)" }
        try await withThrowingDiscardingTaskGroup { group in
            for v in validators { group.addTask { try await v.run() } }
            for v in validators { _ = try await v.address() }
            _ = try await agency.submit(F.parking(1, expires: 500), to: a[0], waitMillis: 10_000)
            await validators[2].stop()
            await validators[3].stop()
            let before = [await validators[0].node.height, await validators[1].node.height]
            let stuck = try await agency.submit(F.parking(2, expires: 500), to: a[0], waitMillis: 3000)
            #expect(stuck.status == .pending, "2 of 4 validators (20 of 40 power) must not commit")
            // Votes the stopped pair sent before stopping may still have been in the others'
            // queues: they can finish the one height in progress when the pair stopped, no more.
            let after = [await validators[0].node.height, await validators[1].node.height]
            #expect(zip(after, before).allSatisfy { $0 <= $1 + 1 }, "heights \(before) -> \(after): at most the height in flight")
            let back = try [2, 3].map { try cluster.makeValidator($0, signer: TestCluster.signer($0), port: ports[$0], peers: a) }
            for v in back { group.addTask { try await v.run() } }
            try await eventually("the stuck transaction commits once quorum is back") {
                if case .committed = try await agency.submit(F.parking(2, expires: 500), to: a[1]).status { return true }
                return false
            }
            let chains = try await [reader.blocks(a[0]), reader.blocks(a[2])].map { $0.map(\.block.header.hash) }
            let n = min(chains[0].count, chains[1].count)
            #expect(Array(chains[0].prefix(n)) == Array(chains[1].prefix(n)), "no fork")
            for v in validators.prefix(2) + back { await v.stop() }
        }
    }

    @Test func anObserverFollowsAndIsPromotedByAdminTransaction() async throws {
        let cluster = try TestCluster()
        let ports = TestCluster.freePorts(5)
        let a = ports.map { "127.0.0.1:\($0)" }
        let validators = try cluster.makeValidators(ports: Array(ports.prefix(4)))
        let newKey = Curve25519.Signing.PrivateKey()
        let observer = try cluster.makeValidator(4, signer: Ed25519Signer(newKey), port: ports[4], peers: Array(a.prefix(4)))
        let admin = try cluster.client(.agency("admin-a"))
        try await withThrowingDiscardingTaskGroup { group in
            for v in validators + [observer] { group.addTask { try await v.run() } }
            for v in validators + [observer] { _ = try await v.address() }
            for i in 1...5 { _ = try await admin.submit(F.parking(UInt64(i), expires: 500), to: a[0], waitMillis: 10_000) }
            let h = await validators[0].node.height
            try await eventually("the observer follows to height \(h)") { await observer.node.height >= h }
            #expect(await observer.node.status().voting == false)
            let change = F.tx("admin-a", .changeValidatorSet(changes: [ValidatorChange(publicKey: newKey.ledgerPublicKey, power: 10, name: "v4")]),
                              nonce: 77, expires: 500, cosigners: ["admin-b"])
            let r = try await admin.submit(change, to: a[1], waitMillis: 15_000)
            guard case .committed(let place) = r.status else { Issue.record("change not committed: \(r)"); return }
            try await eventually("the promoted node votes") { await observer.node.status().voting }
            for i in 6...12 { _ = try await admin.submit(F.parking(UInt64(i), expires: 500), to: a[i % 5], waitMillis: 10_000) }
            let later = try await cluster.client(.admin).blocks(a[0], from: place.height + LedgerLimits.validatorChangeDelayHeights + 1)
            #expect(!later.isEmpty)
            let signedByNew = later.filter { $0.certificate.signatures.contains { $0.validator == newKey.ledgerPublicKey } }
            #expect(!signedByNew.isEmpty, "the promoted validator's precommits are in later certificates")
            for v in validators + [observer] { await v.stop() }
        }
    }
}
