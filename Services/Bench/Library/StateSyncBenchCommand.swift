import ArgumentParser
import CityChainAPI
import CityEncoding
import CityLedger
import CityNode
import CityPKI
import CityValidator
import CityWire
import Foundation
import Logging
@preconcurrency import Crypto

/// `citychain-bench state-sync`: how long a new validator takes to vote on a long chain when it
/// starts from a peer's snapshot (issue 18 item 1: ≤ 30 s on 1M transactions). Builds the
/// synthetic chain of the index bench (every transaction signed, applied and certified), writes
/// it as the data directories of three of its four validators (their block logs and one snapshot
/// at the head, as they would hold it), starts those three `citychain-validator` processes, then
/// starts the fourth on an empty directory with `--state-sync` and times it: the snapshot
/// installed, the node answering at the head, and its first signature in a commit certificate.
struct StateSyncBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state-sync", abstract: "Time a new validator's state sync on a long chain; print the figures and a JSON line.")

    @Option(help: "Transactions in the chain.") var transactions = 1_000_000
    @Option(help: "Transactions per block.") var perBlock = 1000
    @Option(help: "Distinct records written (default: one per transaction, the largest state for the chain).") var subjects: Int?
    @Option(help: "Directory for the validators' data, certificates and logs (created; emptied first).") var dir: String
    @Option(help: "The citychain-validator binary (default: beside this one).") var validatorBinary: String?
    @Option(help: "Most seconds to wait for each step.") var timeout = 300.0
    @Option(help: "PostgreSQL URL of an empty database: also time a new indexer started with --state-sync (omit: validators only).")
    var postgres: String?
    @Option(help: "The citychain-indexer binary (default: beside this one).") var indexerBinary: String?

    func run() async throws {
        let binary = validatorBinary ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("citychain-validator").path
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw ValidationError("no citychain-validator at \(binary); build it or pass --validator-binary") }
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

        let buildStart = LoadClock.now()
        let chain = try IndexBenchChain.build(catchUp: transactions, perBlock: perBlock, liveBlocks: 0, livePerBlock: 0, subjects: subjects ?? transactions)
        let head = UInt64(chain.blocks.count)
        print("bench-statesync: chain of \(transactions) transactions (\(subjects ?? transactions) distinct records) in \(head) blocks built in \(secs(since: buildStart)) s (signing \(String(format: "%.1f", chain.signSeconds)) s)")

        let ca = try CertificateAuthority.create(commonName: "State sync bench CA")
        let genesisPath = dir + "/genesis.json"
        try chain.genesis.toJSON().write(to: URL(fileURLWithPath: genesisPath))
        let ports = LoopbackPorts.free(4)
        let peers = ports.map { "127.0.0.1:\($0)" }
        let writeStart = LoadClock.now()
        var snapshotBytes = 0
        var logBytes = 0
        for i in 0..<3 {
            let data = dir + "/v\(i)/data"
            try FileManager.default.createDirectory(atPath: data + "/snapshots", withIntermediateDirectories: true)
            let log = try BlockLog.open(path: data + "/blocks.log", chainID: chain.genesis.chainID, genesisHash: chain.genesis.hash)
            var batch: [BlockRecord] = []
            var batchBytes = 0
            for b in chain.blocks {
                let r = BlockRecord(block: b.block, certificate: b.certificate)
                let n = r.payloadBytes.count + 8
                if batchBytes + n > StorageLimits.maxBatchBytes / 2 { try log.append(contentsOf: batch); batch = []; batchBytes = 0 }
                batch.append(r)
                batchBytes += n
            }
            try log.append(contentsOf: batch)
            log.close()
            let store = try SnapshotStore.open(directory: data + "/snapshots")
            try store.write(chain.finalState.snapshot())
            snapshotBytes = Self.size(data + "/snapshots/" + SnapshotStore.fileName(forHeight: head))
            logBytes = Self.size(data + "/blocks.log")
        }
        print("bench-statesync: three data directories written in \(secs(since: writeStart)) s (block log \(logBytes / 1_000_000) MB, snapshot \(snapshotBytes / 1_000_000) MB each)")

        var processes: [Process] = []
        defer { for p in processes where p.isRunning { p.terminate() } }
        func launch(_ i: Int, extra: [String]) throws -> (Process, String) {
            let base = dir + "/v\(i)"
            try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
            try Self.writeIdentity(ca.issue(role: .validator, name: "validator-\(i)"), ca: ca, to: base)
            let raw = chain.validatorKeys[i]
            let key = try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
            try PEMFiles.write(#"{"kind": "signing", "publicKey": "\#(Hex.encode(key.publicKey.rawRepresentation))", "privateKey": "\#(Hex.encode(raw))"}"#,
                               to: base + "/consensus-key.json", secret: true)
            var args = ["--listen", peers[i], "--advertise", peers[i], "--cert", base + "/cert.pem", "--key", base + "/cert.key",
                        "--ca", base + "/ca.pem", "--genesis", genesisPath, "--data-dir", base + "/data",
                        "--validator-key", base + "/consensus-key.json", "--block-heartbeat-ms", "1000",
                        "--snapshot-every-blocks", "0", "--log-level", "info"]
            for (j, p) in peers.enumerated() where j != i { args += ["--peer", p] }
            let logPath = base + "/validator.log"
            FileManager.default.createFile(atPath: logPath, contents: nil)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = args + extra
            let out = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            p.standardOutput = out
            p.standardError = out
            try p.run()
            processes.append(p)
            return (p, logPath)
        }

        let admin = try ca.issue(role: .admin, name: "bench-admin")
        let client = try WireClient(tls: TLSSetup.client(TLSIdentity(issued: admin)), logger: Logger(label: "citychain.bench.statesync"))
        let startedThree = LoadClock.now()
        // Their block logs were written here, with certificates their keys signed but no sign
        // record: the operator's flag for a record that is lost (no earlier life to protect here).
        // Validator 0 prunes (keeps the last 100 blocks); 1 and 2 are archive nodes.
        // (a short chain, e.g. --quick's 100 blocks, keeps a quarter: something to prune either way)
        let retain = max(1, min(100, head / 4))
        for i in 0..<3 { _ = try launch(i, extra: ["--sign-record-lost"] + (i == 0 ? ["--retain-blocks", "\(retain)"] : [])) }
        try await waitFor("the three validators commit past the bench chain's head", since: startedThree) {
            guard let s = try? await self.status(client, peers[0]) else { return false }
            return s.height > head
        }
        let threeSeconds = secs(since: startedThree)
        print("bench-statesync: three validators restarted from their snapshot and committing in \(threeSeconds) s")
        try await waitFor("validator 0 prunes its block log", since: startedThree) {
            (try? String(contentsOfFile: dir + "/v0/validator.log", encoding: .utf8))?.contains("block log pruned") ?? false
        }
        let prunedBytes = Self.allocated(dir + "/v0/data/blocks.log"), archiveBytes = Self.allocated(dir + "/v1/data/blocks.log")
        print("bench-statesync: pruning: validator 0 (--retain-blocks \(retain)) keeps \(prunedBytes / 1_000_000) MB of block log on disk, archive validator 1 \(archiveBytes / 1_000_000) MB")

        let launched = LoadClock.now()
        let (_, newLog) = try launch(3, extra: ["--state-sync"])
        let newKey = try Curve25519.Signing.PrivateKey(rawRepresentation: chain.validatorKeys[3]).ledgerPublicKey
        try await waitFor("the new validator installs a snapshot", since: launched) {
            (try? String(contentsOfFile: newLog, encoding: .utf8))?.contains("state sync: started from a snapshot") ?? false
        }
        let installedSeconds = secs(since: launched)
        try await waitFor("the new validator answers at the head", since: launched) {
            guard let mine = try? await self.status(client, peers[3]), let theirs = try? await self.status(client, peers[0]) else { return false }
            return mine.height + 2 >= theirs.height && mine.voting
        }
        let answeringSeconds = secs(since: launched)
        var signedAt: UInt64 = 0
        try await waitFor("the new validator's signature in a commit certificate", since: launched) {
            guard let r: BlocksResponse = try? await self.blocks(client, peers[0], from: head + 1) else { return false }
            if let b = r.blocks.first(where: { $0.certificate.signatures.contains { $0.validator == newKey } }) { signedAt = b.height; return true }
            return false
        }
        let votedSeconds = secs(since: launched)
        print("bench-statesync: new validator: snapshot installed \(installedSeconds) s, at the head \(answeringSeconds) s, first signature (block \(signedAt)) \(votedSeconds) s after launch (goal ≤ 30 s)")
        var indexerJSON = ""
        if let postgres {
            let (seeded, proven) = try await indexer(postgres: postgres, ca: ca, genesisPath: genesisPath, peers: peers, chain: chain, head: head,
                                                     processes: &processes)
            print("bench-statesync: new indexer (--state-sync): index seeded from the snapshot \(seeded) s, first proven answer (a record written before the snapshot, its proof verified) \(proven) s after launch (goal ≤ 60 s)")
            indexerJSON = #","indexer_seeded_s":\#(seeded),"indexer_proven_s":\#(proven)"#
        }
        print(#"{"tx":\#(transactions),"blocks":\#(head),"snapshot_bytes":\#(snapshotBytes),"log_bytes":\#(logBytes),"installed_s":\#(installedSeconds),"at_head_s":\#(answeringSeconds),"voted_s":\#(votedSeconds),"peers_restart_s":\#(threeSeconds),"pruned_log_disk_bytes":\#(prunedBytes),"archive_log_disk_bytes":\#(archiveBytes)\#(indexerJSON)}"#)
        for p in processes where p.isRunning { p.terminate() }
        for p in processes { p.waitUntilExit() }
    }

    /// Starts `citychain-indexer --state-sync` on an empty database and times it: the index seeded
    /// from a validator's snapshot, and the first verified answer for a record written in the
    /// bench chain (before the snapshot: its transaction is fetched from an archive validator).
    private func indexer(postgres: String, ca: CertificateAuthority, genesisPath: String, peers: [String], chain: IndexBenchChain,
                         head: UInt64, processes: inout [Process]) async throws -> (seeded: String, proven: String) {
        let binary = indexerBinary ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("citychain-indexer").path
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw ValidationError("no citychain-indexer at \(binary); build it or pass --indexer-binary") }
        let base = dir + "/indexer"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        try Self.writeIdentity(ca.issue(role: .indexer, name: "indexer-1"), ca: ca, to: base)
        let listen = "127.0.0.1:\(LoopbackPorts.free(1)[0])"
        // The archive validators first: a record's transaction before the snapshot is fetched from them.
        var args = ["--listen", listen, "--advertise", listen, "--cert", base + "/cert.pem", "--key", base + "/cert.key", "--ca", base + "/ca.pem",
                    "--genesis", genesisPath, "--postgres", postgres, "--audit-agency", IndexBenchChain.auditor.value, "--state-sync",
                    "--log-level", "info"]
        for p in [peers[1], peers[2], peers[0]] { args += ["--validator", p] }
        let logPath = base + "/indexer.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        p.standardOutput = out
        p.standardError = out
        let launched = LoadClock.now()
        try p.run()
        processes.append(p)
        try await waitFor("the new indexer seeds its index from a snapshot", since: launched) {
            (try? String(contentsOfFile: logPath, encoding: .utf8))?.contains("index seeded from a snapshot") ?? false
        }
        let seeded = secs(since: launched)
        let reader = try WireClient(tls: TLSSetup.client(TLSIdentity(issued: ca.issue(role: .agency(IndexBenchChain.reader.value), name: "bench-reader"))),
                                    logger: Logger(label: "citychain.bench.statesync"))
        let set = try ValidatorSet(chain.genesis.validators)
        let subject = IndexBenchChain.subject(7)
        let address = HostPort(listen)!
        try await waitFor("the new indexer's first proven answer", since: launched) {
            guard let bytes = try? await reader.withConnection(host: address.host, port: address.port, expecting: .indexer, { c in
                try await c.request(IndexerAPI.record, RecordQuery(dataset: IndexBenchChain.parking, subject: subject).canonicalBytes)
            }), let answer = try? RecordAnswer(canonicalBytes: bytes) else { return false }
            try answer.verify(dataset: IndexBenchChain.parking, subject: subject, validatorSet: set)
            return answer.current != nil && answer.at.height >= head
        }
        return (seeded, secs(since: launched))
    }

    /// A service's certificate, key and the CA as `cert.pem`, `cert.key`, `ca.pem` in `base`.
    private static func writeIdentity(_ issued: IssuedIdentity, ca: CertificateAuthority, to base: String) throws {
        try PEMFiles.write(issued.certificatePEM, to: base + "/cert.pem", secret: false)
        try PEMFiles.write(issued.privateKeyPEM, to: base + "/cert.key", secret: true)
        try PEMFiles.write(ca.certificatePEM, to: base + "/ca.pem", secret: false)
    }

    private func secs(since start: UInt64) -> String { String(format: "%.2f", Double(LoadClock.now() - start) / 1e9) }

    private func waitFor(_ what: String, since start: UInt64, _ done: () async throws -> Bool) async throws {
        let limit = start + UInt64(timeout * 1e9)
        while LoadClock.now() < limit {   // bounded by --timeout
            if try await done() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchFailure("timed out after \(timeout) s waiting for \(what); the validators' logs are under \(dir)")
    }

    private func status(_ client: WireClient, _ address: String) async throws -> ValidatorStatus {
        let hp = HostPort(address)!
        return try await client.withConnection(host: hp.host, port: hp.port, expecting: .validator) { c in
            try ValidatorStatus(canonicalBytes: try await c.request(ValidatorAPI.status, [], timeout: .seconds(5)))
        }
    }

    private func blocks(_ client: WireClient, _ address: String, from: UInt64) async throws -> BlocksResponse {
        let hp = HostPort(address)!
        return try await client.withConnection(host: hp.host, port: hp.port, expecting: .validator) { c in
            try BlocksResponse(canonicalBytes: try await c.request(ValidatorAPI.blocks, BlocksRequest(from: from, maxCount: 64).canonicalBytes, timeout: .seconds(10)))
        }
    }

    /// Bytes a file takes on disk (its allocated blocks: a pruned log's freed prefix does not count).
    private static func allocated(_ path: String) -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else { return 0 }
        return Int(st.st_blocks) * 512
    }

    private static func size(_ path: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0 }
}
