import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import CityWire
import Foundation
import Testing
@testable import CityIndexer

/// The real `citychain-indexer` process killed with SIGKILL at random points while it catches up:
/// after every kill the index is exactly a prefix of the chain (one transaction per batch, gated on
/// the head), and after the last restart it equals the whole chain: no gap, no duplicate.
@Suite(.serialized) struct IndexerProcessTests {
    static let binary: String = {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        return root.appendingPathComponent(".build/debug/citychain-indexer").path
    }()

    /// The digest of the first `height` blocks of `chain` (see IndexerIngestTests.digest).
    static func prefix(_ chain: IndexerChain, _ height: Int) -> IndexerChain {
        var c = chain
        c.blocks = Array(chain.blocks.prefix(height))
        return c
    }

    @Test(.timeLimit(.minutes(6))) func killNineDuringCatchUpLeavesAPrefixAndResumes() async throws {
        var chain = IndexerChain()
        // Enough blocks that the catch-up outlasts 25 kills. It keeps getting faster: COPY rows
        // encoded in one pass (~5x), then transactions decoded once (CI on ffa2532 saw only 9 kills
        // in 480 blocks with 150-900 ms per run), hence 960 blocks and 100-500 ms per run.
        for b in 0..<960 {
            chain.block((0..<20).map { chain.parking(b * 20 + $0) } + (b % 10 == 0 ? [chain.property("parcel-\(b)", owner: "owner \(b)")] : []))
        }
        let ca = try CertificateAuthority.create()
        let validator = try await ChainServer(holder: ChainHolder(chain), ca: ca, logger: testLogger)
        defer { Task { await validator.stop() } }
        let db = try await TestPostgres.database().settings
        let pg = try TestPostgres.shared.get()

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("indexer-kill-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let issued = try ca.issue(role: .indexer, name: "indexer-1")
        try PEMFiles.write(issued.certificatePEM, to: dir + "/cert.pem", secret: false)
        try PEMFiles.write(issued.privateKeyPEM, to: dir + "/cert.key", secret: true)
        try PEMFiles.write(ca.certificatePEM, to: dir + "/ca.pem", secret: false)
        try F.genesisJSON.write(to: URL(fileURLWithPath: dir + "/genesis.json"))
        let args = ["--listen", "127.0.0.1:0", "--cert", dir + "/cert.pem", "--key", dir + "/cert.key", "--ca", dir + "/ca.pem",
                    "--genesis", dir + "/genesis.json", "--postgres", db.urlWithPassword,
                    "--validator", "\(validator.address)", "--audit-agency", "audit-office", "--max-blocks-per-write", "3",
                    // The whole catch-up with the transactions table's indexes dropped: kills land
                    // while they are dropped and while they are built again.
                    "--bulk-load-transactions", "1",
                    "--log-level", "warning"]

        func migrated() throws -> Bool { try pg.psql(db, "SELECT to_regclass('citychain.index_head') IS NOT NULL") == "t" }
        func head() throws -> Int {
            guard try migrated() else { return 0 }
            return Int(try pg.psql(db, "SELECT coalesce((SELECT height FROM citychain.index_head), 0)")) ?? -1
        }
        var kills = 0
        var killsWhileDeferred = 0
        var heads: [Int] = []
        for round in 0..<60 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Self.binary)
            p.arguments = args
            let log = FileHandle(forWritingAtPath: "/dev/null")
            p.standardOutput = log
            p.standardError = log
            try p.run()
            let started = Date()
            let done = try head() >= chain.blocks.count
            if round >= 25 || done {
                // Let the last run finish the catch-up, and give it time to start (a SIGTERM before
                // its handler is installed kills it with status 15 instead of a drain).
                try await eventually("the last run caught up and ran 3 s", seconds: 60) {
                    try head() >= chain.blocks.count && Date().timeIntervalSince(started) > 3
                }
                // A clean stop: SIGTERM drains and exits 0 within 10 s.
                let stopAt = Date()
                kill(p.processIdentifier, SIGTERM)
                p.waitUntilExit()
                #expect(p.terminationStatus == 0)
                #expect(Date().timeIntervalSince(stopAt) < 10)
                break
            }
            try await Task.sleep(for: .milliseconds(Int64.random(in: 100...500)))   // the kill point, not synchronisation
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            kills += 1
            // Whatever was cut short, the index is exactly the chain up to its head.
            let h = try head()
            heads.append(h)
            guard try migrated() else { continue }
            #expect(try IndexerIngestTests.digest(db) == IndexerIngestTests.digest(of: Self.prefix(chain, h)), "after kill \(kills) at head \(h)")
            #expect(try pg.psql(db, "SELECT count(*) FROM citychain.transactions WHERE height > \(h)") == "0")
            // A kill can land between migrations, before the table exists: PostgreSQL resolves every
            // relation of a statement before running it, so ask whether it exists in a statement of its own.
            if try pg.psql(db, "SELECT to_regclass('citychain.deferred_indexes') IS NOT NULL") == "t",
               try pg.psql(db, "SELECT count(*) FROM citychain.deferred_indexes") != "0" {
                killsWhileDeferred += 1
            }
        }
        print("indexer kill -9 test: \(kills) kills during the catch-up of \(chain.blocks.count) blocks (\(killsWhileDeferred) with the indexes dropped), heads \(heads)")
        #expect(kills >= 20)
        #expect(killsWhileDeferred > 0, "no kill landed while the indexes were dropped")
        #expect(Set(heads).count > 3, "the kills should land at different heights: \(heads)")
        #expect(try head() == chain.blocks.count)
        #expect(try IndexerIngestTests.digest(db) == IndexerIngestTests.digest(of: chain))
        // Caught up: every index and constraint of the transactions table is back, none left deferred.
        #expect(try pg.psql(db, "SELECT count(*) FROM citychain.deferred_indexes") == "0")
        #expect(try pg.psql(db, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'citychain' AND tablename = 'transactions'") == "7")
        #expect(try pg.psql(db, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'citychain.transactions'::regclass AND contype IN ('p', 'u')") == "2")
    }
}
