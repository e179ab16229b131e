import CityChainAPI
import CityEncoding
import CityLedger
import CityTestSupport
import Foundation
import Testing
@testable import CityBench

/// `citychain-bench load`'s pure parts: the plan read from a genesis and key files, the pre-signed
/// transactions, the nonce tag, the recorder and the percentiles.
@Suite struct LoadBenchTests {
    /// Runs the built `citychain` (the CLI makes the keys and the genesis); fails on a non-zero exit.
    func citychain(_ args: [String]) async throws {
        let run = try await runCLI(args)
        guard run.status == 0 else { throw TestFailure("citychain \(args.joined(separator: " ")) exited \(run.status): \(run.output)") }
    }

    /// A genesis (made by the CLI) with three agencies: a public dataset two of them may write, a
    /// restricted one all may write; key files for all three in `dir/keys`.
    func makeChain() async throws -> (genesis: String, keys: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("citychain-bench-\(UUID())").path
        try FileManager.default.createDirectory(atPath: "\(dir)/keys", withIntermediateDirectories: true)
        for name in ["v1", "a-one", "a-two", "a-three"] {
            try await citychain(["keys", "new", "--kind", "signing", "--out", "\(dir)/keys/\(name).json"])
        }
        let spec = """
        {"chainID": "load-test", "genesisTimeMillis": 1, "adminThreshold": 1,
         "validators": [{"name": "v1", "keyFile": "keys/v1.json", "power": 10}],
         "agencies": [{"id": "a-one", "name": "One", "admin": true, "signingKeyFile": "keys/a-one.json"},
                      {"id": "a-two", "name": "Two", "signingKeyFile": "keys/a-two.json"},
                      {"id": "a-three", "name": "Three", "signingKeyFile": "keys/a-three.json"}],
         "datasets": [{"id": "sealed", "owner": "a-one", "sensitivity": "restricted", "schema": "s", "writers": ["a-three", "a-two"]},
                      {"id": "open", "owner": "a-one", "sensitivity": "public", "schema": "s", "writers": ["a-two"]}]}
        """
        try spec.write(toFile: "\(dir)/spec.json", atomically: true, encoding: .utf8)
        try await citychain(["genesis", "--spec", "\(dir)/spec.json", "--out", "\(dir)/genesis.json"])
        return ("\(dir)/genesis.json", "\(dir)/keys")
    }

    @Test func planPicksThePublicDatasetAndItsWritersWithKeyFiles() async throws {
        let chain = try await makeChain()
        let plan = try LoadPlan.load(genesisPath: chain.genesis, keysDir: chain.keys, datasetID: nil)
        #expect(plan.chainID == "load-test")
        #expect(plan.dataset == (try DatasetID("open")))
        #expect(plan.signers.map(\.signer.agency.description) == ["a-one", "a-two"])
        #expect(throws: (any Error).self) { try LoadPlan.load(genesisPath: chain.genesis, keysDir: chain.keys, datasetID: "sealed") }
        try FileManager.default.removeItem(atPath: "\(chain.keys)/a-two.json")
        let fewer = try LoadPlan.load(genesisPath: chain.genesis, keysDir: chain.keys, datasetID: "open")
        #expect(fewer.signers.count == 1, "an agency without a key file does not sign")
    }

    @Test func presignedTransactionsAreDistinctValidAndTagged() async throws {
        let chain = try await makeChain()
        let plan = try LoadPlan.load(genesisPath: chain.genesis, keysDir: chain.keys, datasetID: nil)
        let requests = plan.presign(count: 25, payloadBytes: 200, expiresAtHeight: 10_007, runTag: 0xABCD)
        let txs = try requests.map { try SubmitRequest(canonicalBytes: $0).transaction }
        #expect(Set(txs.map(\.id)).count == 25)
        let genesis = try Genesis.fromJSON(Data(contentsOf: URL(fileURLWithPath: chain.genesis)))
        for (i, tx) in txs.enumerated() {
            #expect(LoadNonce.index(tx.body.nonce, runTag: 0xABCD) == i)
            #expect(tx.body.expiresAtHeight == 10_007)
            #expect(tx.body.signer == plan.signers[i % 2].signer, "agencies sign in turn")
            #expect(throws: Never.self) { try tx.checkStateless(chainID: "load-test") }
            guard case .putRecord = tx.body.operation, let payload = tx.payloadBytes else { Issue.record("not a put-record"); continue }
            #expect(payload.count == 200)
            #expect((try? JSONSerialization.jsonObject(with: Data(payload))) != nil, "public datasets carry JSON")
            let key = genesis.agencies.first { $0.id == tx.body.signer.agency }!.keys.compactMap { k -> PublicKey? in
                if case .signing(let pk) = k.material { pk } else { nil }
            }.first!
            #expect(key.isValidSignature(tx.signatures[0].signature, for: tx.body.signingMessage))
        }
    }

    @Test func nonceTagSeparatesRuns() {
        let n = LoadNonce.make(runTag: 7, index: 123_456)
        #expect(LoadNonce.index(n, runTag: 7) == 123_456)
        #expect(LoadNonce.index(n, runTag: 8) == nil)
        #expect(LoadNonce.index(42, runTag: 7) == nil)
    }

    @Test func payloadIsExactlyTheAskedSize() {
        for bytes in [1, 10, 40, 200, 4096] { #expect(LoadPlan.payload(99, bytes: bytes, runTag: 0xFFFF_FFFF).count == bytes) }
    }

    @Test func recorderCountsOnlyThisRunsSentTransactionsOnce() throws {
        let recorder = LoadRecorder(count: 3, runTag: 5, fromHeight: 4)
        #expect(recorder.take() == 0)
        recorder.sent(0, at: 1_000)
        recorder.answered(0, .accepted)
        func tx(_ nonce: UInt64) throws -> SignedTransaction {
            let body = TransactionBody(chainID: "c", signer: Signer(agency: try AgencyID("a"), keyID: 1), nonce: nonce,
                                       expiresAtHeight: 9, operation: .deleteRecord(dataset: try DatasetID("d"), subject: try SubjectKey("s"), reason: "r"))
            return SignedTransaction(body: body, signatures: [TransactionSignature(signer: body.signer, signature: try Signature(bytes: [UInt8](repeating: 1, count: 64)))])
        }
        func block(_ height: UInt64, _ txs: [SignedTransaction]) throws -> Block {
            let header = BlockHeader(chainID: "c", height: height, timeMillis: height, previousHash: .zero, transactionsRoot: .zero,
                                     transactionCount: UInt32(txs.count), stateRoot: .zero, validatorSetHash: .zero,
                                     proposer: try PublicKey(bytes: [UInt8](repeating: 2, count: 32)))
            return Block(header: header, transactions: txs)
        }
        // Another run's transaction, an unsent one of this run, and the sent one (twice: counted once).
        recorder.blockCommitted(try block(4, [try tx(LoadNonce.make(runTag: 6, index: 0)), try tx(LoadNonce.make(runTag: 5, index: 1)),
                                              try tx(LoadNonce.make(runTag: 5, index: 0))]), at: 5_000)
        recorder.blockCommitted(try block(5, [try tx(LoadNonce.make(runTag: 5, index: 0))]), at: 9_000)
        let s = recorder.snapshot()
        #expect(s.committed == 1 && s.committedAt[0] == 5_000 && s.committedAt[1] == 0)
        #expect(s.blocks == 2 && s.blockTransactions == 4 && s.nextHeight == 6)
    }

    @Test func quantilesAreNearestRank() {
        let ms: [UInt64] = (1...100).map { UInt64($0) * 1_000_000 }
        #expect(LoadReport.quantileMillis(ms, 0.5) == 50)
        #expect(LoadReport.quantileMillis(ms, 0.99) == 99)
        #expect(LoadReport.quantileMillis(ms, 1.0) == 100)
        #expect(LoadReport.quantileMillis([], 0.5) == 0)
        #expect(LoadReport.quantileMillis([7_000_000], 0.01) == 7)
    }
}
