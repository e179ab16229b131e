import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import Testing
@testable import CityValidator
@preconcurrency import Crypto

/// State sync with real processes (issue 18 item 1): three of four validators run a chain and
/// write snapshots; the fourth starts on an empty disk with `--state-sync`, fetches a snapshot from
/// its peers, block-syncs the rest and votes, without blocks below the snapshot. Observers started
/// the same way trust a block by height and hash: the right hash starts them, a wrong one is
/// refused with what to do.
@Suite(.serialized) struct StateSyncProcessTests {
    typealias F = MempoolFixture

    @Test(.timeLimit(.minutes(5))) func aNewValidatorStartsFromAPeersSnapshotAndVotes() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: ValidatorProcess.binary.path), "build the executables first (swift build)")
        let cluster = try TestCluster()
        let genesisPath = cluster.root + "/genesis.json"
        try F.genesis.toJSON().write(to: URL(fileURLWithPath: genesisPath))
        let ports = TestCluster.freePorts(6)
        let addresses = ports.map { "127.0.0.1:\($0)" }
        let procs = try (0..<4).map { i in
            try ValidatorProcess(name: "validator-\(i)", port: ports[i], dir: cluster.root, ca: cluster.ca, genesisPath: genesisPath,
                                 validatorKey: Array(F.validatorKeys[i].rawRepresentation), peers: Array(addresses.prefix(4)))
        }
        for p in procs { p.extraArguments = ["--snapshot-every-blocks", "5"] }
        for p in procs.prefix(3) { try await p.start() }
        let client = try cluster.client(.admin)
        do {
            for i in 1...40 {
                _ = try await client.submit(F.parking(UInt64(i), expires: 900), to: procs[i % 3].address, waitMillis: i % 10 == 0 ? 5000 : 0)
            }
            try await eventually("each running validator has written a snapshot", seconds: 90) {
                procs.prefix(3).allSatisfy { p in
                    ((try? FileManager.default.contentsOfDirectory(atPath: p.dataDirectory + "/snapshots")) ?? []).contains { $0.hasSuffix(".snap") }
                }
            }
            let newcomer = procs[3]
            newcomer.extraArguments = ["--state-sync", "--snapshot-every-blocks", "5"]
            try await newcomer.start()
            #expect(newcomer.tail().contains("state sync: started from a snapshot"), "\(newcomer.tail())")
            let header = [UInt8](FileManager.default.contents(atPath: newcomer.dataDirectory + "/blocks.log") ?? Data())
            #expect(header.count > 12 && Array(header[8..<12]) == [0, 0, 0, 2], "its block log starts after the snapshot's block (a base)")
            let head: ValidatorStatus = try await client.call(procs[0].address, ValidatorAPI.status, Empty())
            try await eventually("the newcomer reaches the head by block sync", seconds: 60) {
                let s: ValidatorStatus = try await client.call(newcomer.address, ValidatorAPI.status, Empty())
                return s.height >= head.height && s.voting
            }
            // It holds no block below its snapshot, and says where to get them.
            do {
                let _: BlocksResponse = try await client.call(newcomer.address, ValidatorAPI.blocks, BlocksRequest(from: 1, maxCount: 1))
                Issue.record("a state-synced validator served block 1")
            } catch let e as WireError {
                #expect(e.code == .notFound && e.message.contains("archive node"), "\(e)")
            }
            // It votes: its signature is in the certificates of blocks after it joined.
            let key = F.validatorKeys[3].ledgerPublicKey
            for i in 41...60 { _ = try await client.submit(F.parking(UInt64(i), expires: 900), to: procs[i % 4].address) }
            try await eventually("the newcomer's signature is in a commit certificate", seconds: 60) {
                let blocks = try await client.blocks(procs[0].address, from: head.height + 1)
                return blocks.contains { $0.certificate.signatures.contains { $0.validator == key } }
            }
            // The same chain as the others from its base on.
            let mine = try await client.blocks(newcomer.address, from: head.height + 1)
            let theirs = try await client.blocks(procs[1].address, from: head.height + 1)
            let n = min(mine.count, theirs.count)
            #expect(n > 0 && mine.prefix(n).map(\.block.header.hash) == theirs.prefix(n).map(\.block.header.hash))

            try await aWipedValidatorRejoinsWithoutSigningWhereItMayHave(newcomer, others: Array(procs.prefix(3)), client: client)
            try await observersTrustABlockByHeightAndHash(cluster: cluster, genesisPath: genesisPath, ports: Array(ports[4...]),
                                                          peers: Array(addresses.prefix(4)), client: client, reference: procs[0])
        } catch {
            for p in procs { print("--- \(p.name)\n\(p.tail())") }
            throw error
        }
        for p in procs { #expect(await p.terminate() == 0, "\(p.name) exits cleanly on SIGTERM") }
    }

    /// Rejoining on a wiped disk (issue 18 item 5): the same validator, its data directory gone
    /// (sign record and all), state-syncs again and votes again. Whether it must wait first depends
    /// on whether a certificate it sees holds its earlier life's signature (certificates carry the
    /// first 2/3 of precommits to arrive); if one does, it logs its floor and its first new
    /// signature is above it. The rule itself: `SignFloorTests`, `StateSyncStorageTests`.
    func aWipedValidatorRejoinsWithoutSigningWhereItMayHave(_ p: ValidatorProcess, others: [ValidatorProcess], client: WireClient) async throws {
        await p.kill9()
        try FileManager.default.removeItem(atPath: p.dataDirectory)
        let before: ValidatorStatus = try await client.call(others[0].address, ValidatorAPI.status, Empty())
        let logStart = p.logSize
        try await p.start()
        let key = F.validatorKeys[3].ledgerPublicKey
        var firstNew: UInt64 = 0
        for i in 61...90 { _ = try await client.submit(F.parking(UInt64(i), expires: 900), to: others[i % 3].address) }
        try await eventually("the rejoined validator signs again", seconds: 60) {
            let blocks = try await client.blocks(others[0].address, from: before.height + 1)
            guard let b = blocks.first(where: { $0.certificate.signatures.contains { $0.validator == key } }) else { return false }
            firstNew = b.height
            return true
        }
        let text = p.log(from: logStart)
        #expect(text.contains("state sync: started from a snapshot"), "it state-synced again")
        let floors = text.split(separator: "\n").compactMap { line -> UInt64? in
            guard let r = line.range(of: "consensus.signFloor=") else { return nil }
            return UInt64(line[r.upperBound...].prefix { $0.isNumber })
        }
        if let floor = floors.max() { #expect(firstNew > floor, "its first new signature (block \(firstNew)) is above its floor \(floor)") }
    }

    /// `--trust-height/--trust-hash`: a wrong hash is refused before anything is written; the
    /// right one (read from a validator's status, as an operator reads `citychain status`) starts.
    func observersTrustABlockByHeightAndHash(cluster: TestCluster, genesisPath: String, ports: [Int], peers: [String],
                                             client: WireClient, reference: ValidatorProcess) async throws {
        let head: ValidatorStatus = try await client.call(reference.address, ValidatorAPI.status, Empty())
        let wrong = try ValidatorProcess(name: "observer-wrong", port: ports[0], dir: cluster.root, ca: cluster.ca, genesisPath: genesisPath,
                                         validatorKey: nil, peers: peers)
        wrong.extraArguments = ["--state-sync", "--trust-height", "\(head.height)", "--trust-hash", String(repeating: "ab", count: 32)]
        do {
            try await wrong.start()
            Issue.record("an observer trusting a wrong hash started")
            await wrong.kill9()
        } catch is ProcessFailure {
            #expect(wrong.tail().contains("the hash you trust"), "\(wrong.tail())")
            #expect(!FileManager.default.fileExists(atPath: wrong.dataDirectory + "/blocks.log"), "nothing was kept")
        }
        let right = try ValidatorProcess(name: "observer-right", port: ports[1], dir: cluster.root, ca: cluster.ca, genesisPath: genesisPath,
                                         validatorKey: nil, peers: peers)
        right.extraArguments = ["--state-sync", "--trust-height", "\(head.height)", "--trust-hash", head.lastBlockHash.hex]
        try await right.start()
        try await eventually("the observer follows from the snapshot", seconds: 60) {
            let s: ValidatorStatus = try await client.call(right.address, ValidatorAPI.status, Empty())
            return s.height >= head.height && !s.voting
        }
        #expect(right.tail().contains("state sync: started from a snapshot"))
        #expect(await right.terminate() == 0)
    }
}
