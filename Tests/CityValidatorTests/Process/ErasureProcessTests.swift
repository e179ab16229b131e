import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import Testing
@testable import CityValidator

/// Erasure end to end with real processes (issue 18 item 3): a canary written into a restricted
/// record is sealed (HPKE to its owner), committed by four `citychain-validator`s and indexed by a
/// `citychain-indexer` on a private PostgreSQL; the owner's `eraseRecord` commits; then the canary's
/// ciphertext is found nowhere: not in any file of any validator's data directory (block log,
/// snapshots written after the erasure, sign record), not in any row of the index (every table of
/// its schema as text) nor in a pg_dump of the database; and the index proves the record erased.
@Suite(.serialized) struct ErasureProcessTests {
    typealias F = MempoolFixture

    static let genesis = F.makeGenesis(datasets: [
        GenesisDataset(id: F.ds("health.visits"), owner: F.id("hospital"), sensitivity: .restricted, schema: "visit/v1", writers: []),
        GenesisDataset(id: F.ds("parking.sessions"), owner: F.id("tax-office"), sensitivity: .public, schema: "parking/v1", writers: []),
    ])

    /// Every regular file under `dir`, with its bytes.
    static func files(under dir: String) -> [(String, [UInt8])] {
        guard let walk = FileManager.default.enumerator(atPath: dir) else { return [] }
        return walk.compactMap { item -> (String, [UInt8])? in
            let path = dir + "/" + (item as! String)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
                  let data = FileManager.default.contents(atPath: path) else { return nil }
            return (path, [UInt8](data))
        }
    }

    @Test(.timeLimit(.minutes(5))) func anErasedCanaryIsFoundNowhere() async throws {
        let indexerBinary = ValidatorProcess.sibling("citychain-indexer")
        try #require(FileManager.default.isExecutableFile(atPath: indexerBinary.path), "build the executables first (swift build)")
        let db = try await TestPostgres.database()
        let pg = try TestPostgres.shared.get()
        let cluster = try TestCluster()
        let genesisPath = cluster.root + "/genesis.json"
        try Self.genesis.toJSON().write(to: URL(fileURLWithPath: genesisPath))
        let ports = TestCluster.freePorts(5)
        let addresses = ports.prefix(4).map { "127.0.0.1:\($0)" }
        let validators = try (0..<4).map { i in
            try ValidatorProcess(name: "validator-\(i)", port: ports[i], dir: cluster.root, ca: cluster.ca, genesisPath: genesisPath,
                                 validatorKey: Array(F.validatorKeys[i].rawRepresentation), peers: addresses,
                                 extra: ["--snapshot-every-blocks", "2"])
        }
        let indexer = try ValidatorProcess(name: "indexer-0", role: .indexer, port: ports[4], executable: indexerBinary,
                                           dir: cluster.root, ca: cluster.ca) { cert in
            ["--listen", "127.0.0.1:\(ports[4])"] + cert + ["--genesis", genesisPath, "--postgres", db.url, "--audit-agency", "hospital",
                                                            "--log-level", "info"] + addresses.flatMap { ["--validator", $0] }
        }
        for v in validators { try await v.start() }
        try await indexer.start()
        defer {
            Task {
                _ = await indexer.terminate()
                for v in validators where v.isRunning { _ = await v.terminate() }
            }
        }
        let hospital = try cluster.client(.agency("hospital"))

        // The canary, sealed to the owner: the chain carries ciphertext only.
        let canary = Array("canary: patient 4711 is allergic to penicillin".utf8)
        let sealed = try SealedPayload.seal(canary, to: [(F.id("hospital"), 2, F.sealKey("hospital").publicKey)])
        let secret = Array(sealed.ciphertext[12..<(12 + 32)])   // 32 bytes of ciphertext, past the nonce
        let write = F.tx("hospital", F.put(F.ds("health.visits"), "patient-4711", sealed.canonicalBytes), nonce: 1, expires: 900)
        let put = try await hospital.submit(write, to: addresses[0], waitMillis: 20_000)
        guard case .committed(let written) = put.status else { Issue.record("the canary was not committed: \(put)"); return }

        @Sendable func indexed(_ height: UInt64) throws -> Bool {
            (UInt64(try pg.psql(db, "SELECT coalesce((SELECT height FROM citychain.index_head), 0)")) ?? 0) >= height
        }
        try await eventually("the indexer indexed the canary", seconds: 60) { try indexed(written.height) }
        // The search works: before erasure the ciphertext is on every validator and in the index.
        for v in validators {
            #expect(Self.files(under: v.dataDirectory).contains { $0.1.containsSlice(secret) }, "\(v.name) holds the canary before erasure")
        }
        let hex = Hex.encode(secret)
        #expect(try pg.psql(db, "SELECT count(*) FROM citychain.transactions WHERE position('\\x\(hex)'::bytea in tx) > 0") == "1")
        @Sendable func dump() throws -> String {
            try TestPostgres.run(TestPostgres.binDir() + "/pg_dump", ["-h", pg.dir, "-p", "\(pg.port)", "-U", TestPostgres.adminRole, "-d", db.database])
        }
        #expect(try dump().contains(hex), "a pg_dump shows the ciphertext before erasure (the search below would find it)")

        // The owner erases it.
        let erase = F.tx("hospital", .eraseRecord(dataset: F.ds("health.visits"), subject: F.subject("patient-4711"),
                                                  reason: "erasure request 2026-114"), nonce: 2, expires: 900)
        let erased = try await hospital.submit(erase, to: addresses[1], waitMillis: 20_000)
        guard case .committed(let at) = erased.status else { Issue.record("the erasure was not committed: \(erased)"); return }

        // Every validator drops the payload and snapshots after the erasure; the indexer follows.
        @Sendable func owed() -> [String] {
            validators.flatMap { v -> [String] in
                let files = Self.files(under: v.dataDirectory)
                let snapshots = files.compactMap { SnapshotStore.height(fromFileName: ($0.0 as NSString).lastPathComponent) }
                return files.filter { $0.1.containsSlice(secret) || $0.0.hasSuffix(".erasures") }.map(\.0)
                    + (snapshots.contains { $0 > at.height } ? [] : ["\(v.name): no snapshot above height \(at.height) (has \(snapshots))"])
            }
        }
        do {
            try await eventually("every validator erased the canary and wrote a snapshot after the erasure", seconds: 90) { owed().isEmpty }
        } catch {
            Issue.record("still owed: \(owed())\n--- validator-0\n\(validators[0].tail())")
            throw error
        }
        try await eventually("the indexer indexed the erasure", seconds: 60) { try indexed(at.height) }
        #expect(try pg.psql(db, "SELECT count(*) FROM citychain.transactions WHERE position('\\x\(hex)'::bytea in tx) > 0") == "0")
        let tables = try pg.psql(db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'citychain' AND table_type = 'BASE TABLE'")
            .split(separator: "\n").map(String.init)
        #expect(tables.count >= 5)
        for t in tables {
            let hits = try pg.psql(db, "SELECT count(*) FROM citychain.\(t) AS r WHERE position('\(hex)' in encode(convert_to(r::text, 'UTF8'), 'escape')) > 0 OR position('\(hex)' in r::text) > 0")
            #expect(hits == "0", "table \(t) still shows the canary's ciphertext")
        }
        let after = try dump()
        #expect(after.contains("citychain.transactions"), "the dump is of the index")
        #expect(!after.contains(hex), "pg_dump shows the canary's ciphertext")
        // Every stored block still verifies: the validators serve block `written.height` with the payload erased.
        let blocks: BlocksResponse = try await cluster.client().call(addresses[2], ValidatorAPI.blocks, BlocksRequest(from: written.height, maxCount: 1))
        let block = try #require(blocks.blocks.first)
        let set = try ValidatorSet(Self.genesis.validators)
        try block.certificate.verify(header: block.block.header, validatorSet: set)
        try block.block.checkRoots()
        #expect(block.block.transactions[Int(written.index)].payloadErased)

        // The index proves it: the record's state entry is an erasure, proven under a certified root.
        let (host, port) = ValidatorEngine.split(indexer.address)!
        let answer = try await hospital.withConnection(host: host, port: port, expecting: .indexer) { c in
            try RecordAnswer(canonicalBytes: try await c.request(IndexerAPI.record, RecordQuery(dataset: F.ds("health.visits"),
                                                                                                  subject: F.subject("patient-4711"), purpose: "erasure check").canonicalBytes))
        }
        try answer.verify(dataset: F.ds("health.visits"), subject: F.subject("patient-4711"), validatorSet: set)
        #expect(answer.entry?.erased == true && answer.payload == nil)
        let history = try await hospital.withConnection(host: host, port: port, expecting: .indexer) { c in
            try ChangesAnswer(canonicalBytes: try await c.request(IndexerAPI.history, HistoryQuery(dataset: F.ds("health.visits"),
                                                                                                     subject: F.subject("patient-4711"), purpose: "erasure check").canonicalBytes))
        }
        try history.verify(dataset: F.ds("health.visits"), subject: F.subject("patient-4711"), validatorSet: set)
        #expect(history.items.map(\.transaction.body.operation.name) == ["putRecord", "eraseRecord"])
        #expect(history.items.first?.transaction.payloadErased == true)
    }
}
