import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import Logging
import ServiceLifecycle
import Testing
@testable import CityValidator

/// State sync against peers that lie (issue 18 item 1): a peer serving a damaged chunk is named,
/// left out, and the chunk fetched from another peer offering the same file; when no peer serves
/// it intact, nothing is written and the error says so.
@Suite struct StateSyncPeersTests {
    typealias S = ChainRecoverySnapshotTests

    /// A peer serving one snapshot file in 1 KiB chunks (each with a byte flipped when it `lies`)
    /// and the certified block of its height.
    final class FakePeer: Sendable {
        let server: WireServer
        let group: ServiceGroup
        let task: Task<Void, any Error>
        let port: Int

        init(file: [UInt8], height: UInt64, root: Hash32, block: CertifiedBlock, lies: Bool, ca: CertificateAuthority, name: String) async throws {
            let chunk = 1024
            let hashes = stride(from: 0, to: file.count, by: chunk).map { Hash32.sha256(file[$0..<min(file.count, $0 + chunk)]) }
            let offer = SnapshotOffer(height: height, stateRoot: root, fileBytes: UInt64(file.count), chunkBytes: UInt32(chunk), chunkHashes: hashes)
            var r = WireRouter()
            r.unary(ValidatorAPI.snapshots, allowedRoles: { _ in true }) { _ in SnapshotOffers(offers: [offer]).canonicalBytes }
            r.unary(ValidatorAPI.snapshotChunk, allowedRoles: { _ in true }) { req in
                let q = try req.decode(SnapshotChunkRequest.self)
                var bytes = Array(file[Int(q.index) * chunk..<min(file.count, (Int(q.index) + 1) * chunk)])
                if lies { bytes[0] ^= 0xFF }
                return SnapshotChunk(height: q.height, index: q.index, bytes: bytes).canonicalBytes
            }
            r.unary(ValidatorAPI.blocks, allowedRoles: { _ in true }) { _ in BlocksResponse(latestHeight: height, blocks: [block]).canonicalBytes }
            let logger = Logger(label: "test.fakepeer")
            server = WireServer(host: "127.0.0.1", port: 0, tls: try TLSSetup.server(TLSIdentity(issued: ca.issue(role: .validator, name: name))),
                                router: r, logger: logger)
            group = ServiceGroup(services: [server], gracefulShutdownSignals: [], logger: logger)
            let g = group
            task = Task { try await g.run() }
            port = try await server.listeningAddress.port!
        }

        var address: HostPort { HostPort(host: "127.0.0.1", port: port) }

        func stop() async {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
        }
    }

    static func setUp(lying: [Bool]) async throws -> (peers: [FakePeer], client: WireClient, recorder: LogRecorder, chain: Chain) {
        let (chain, snaps) = S.chain(blocks: 8, transactions: 30, snapshotsAt: [6])
        let file = try SnapshotFile.encode(snaps[0])
        let block = CertifiedBlock(block: chain.records[5].block, certificate: chain.records[5].certificate)
        let ca = try CertificateAuthority.create()
        var peers: [FakePeer] = []
        for (i, lies) in lying.enumerated() {
            peers.append(try await FakePeer(file: file, height: 6, root: snaps[0].stateRoot, block: block, lies: lies, ca: ca, name: "peer-\(i)"))
        }
        let recorder = LogRecorder()
        let client = try WireClient(tls: TLSSetup.client(TLSIdentity(issued: ca.issue(role: .validator, name: "newcomer"))), logger: recorder.logger)
        return (peers, client, recorder, chain)
    }

    @Test(.timeLimit(.minutes(1))) func aBadChunkIsFetchedFromAnotherPeerAndItsSenderLeftOut() async throws {
        let (peers, client, recorder, chain) = try await Self.setUp(lying: [true, false])
        let dir = TempDir()
        let state = try await StateSync(client: client, peers: peers.map(\.address), genesis: Chain.genesis, trust: .genesis, logger: recorder.logger)
            .run(into: dir.path)
        #expect(state.height == 6 && state.stateRoot == chain.records[5].block.header.stateRoot)
        let bad = recorder.warnings.filter { $0.message.contains("bad snapshot chunk") }
        #expect(bad.count == 1 && bad.first?.metadata["peer"]?.description == peers[0].address.description, "\(recorder.warnings.map(\.message))")
        let log = try openLog(dir.file("blocks.log"))
        #expect(log.baseHeight == 6)
        #expect(FileManager.default.fileExists(atPath: dir.file("snapshots/" + SnapshotStore.fileName(forHeight: 6))))
        for p in peers { await p.stop() }
    }

    @Test(.timeLimit(.minutes(1))) func whenNoPeerServesAChunkIntactNothingIsWritten() async throws {
        let (peers, client, recorder, _) = try await Self.setUp(lying: [true, true])
        let dir = TempDir()
        do {
            _ = try await StateSync(client: client, peers: peers.map(\.address), genesis: Chain.genesis, trust: .genesis, logger: recorder.logger)
                .run(into: dir.path)
            Issue.record("state sync succeeded with every peer lying")
        } catch let e as StateSyncError {
            #expect(e.description.contains("could not be fetched intact"), "\(e)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("blocks.log")), "nothing was written")
        for p in peers { await p.stop() }
    }
}
