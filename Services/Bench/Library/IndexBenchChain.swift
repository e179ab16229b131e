import CityChainAPI
import CityEncoding
import CityLedger
import Dispatch
import Foundation
@preconcurrency import Crypto

/// The synthetic city chain of `citychain-bench index`, built in memory like the indexer tests'
/// fixture (Tests/CityIndexerTests/Support/IndexerFixture.swift, which tests cannot share): four
/// validators of power 10 with fresh random keys, a few agencies with fresh signing keys, a genesis
/// with a public parking dataset, and blocks of put-record transactions with JSON payloads, every
/// transaction signed for real, applied by the ledger (which must accept it) and every header
/// certified by 3 of the 4 validators.
struct IndexBenchChain: Sendable {
    static let chainID = "citychain-index-bench"
    static let parking = try! DatasetID("parking.sessions")
    static let writer = try! AgencyID("traffic-bureau")
    static let reader = try! AgencyID("bench-reader")
    static let auditor = try! AgencyID("audit-office")

    let genesis: Genesis
    /// Every block, the catch-up ones first (`catchUpBlocks` of them), then the live ones.
    let blocks: [CertifiedBlock]
    /// `blocks[i].canonicalBytes`, what the commit stream sends.
    let encoded: [[UInt8]]
    let catchUpBlocks: Int
    /// Record subjects written: `bay-0` … `bay-(subjects - 1)`.
    let subjects: Int
    let signSeconds: Double
    let applySeconds: Double
    /// The four validators' private keys (raw), for benches that run validator processes on the chain.
    let validatorKeys: [[UInt8]]
    /// The ledger state after the last block.
    let finalState: LedgerState

    var catchUpTransactions: Int { blocks.prefix(catchUpBlocks).reduce(0) { $0 + $1.block.transactions.count } }
    var catchUpHeight: UInt64 { UInt64(catchUpBlocks) }
    var validatorSet: ValidatorSet { try! ValidatorSet(genesis.validators) }

    static func subject(_ i: Int) -> SubjectKey { try! SubjectKey("bay-\(i)") }

    /// A parking session as the fixture writes them (public JSON, about 90 bytes).
    static func payload(_ i: Int) -> [UInt8] {
        let zone = ["A", "B", "C"][i % 3]
        return Array(#"{"meter":"m-\#(i % 50)","zone":"\#(zone)","minutes":\#(15 + i % 90),"plate":"CC-\#(1000 + i)","paid":\#(i % 4 != 0)}"#.utf8)
    }

    /// Builds `catchUp` transactions in blocks of `perBlock`, then `liveBlocks` blocks of `livePerBlock`.
    static func build(catchUp: Int, perBlock: Int, liveBlocks: Int, livePerBlock: Int, subjects: Int) throws -> IndexBenchChain {
        let validatorKeys = (0..<4).map { _ in Curve25519.Signing.PrivateKey() }
        let writerKey = Curve25519.Signing.PrivateKey()
        let agencies: [(AgencyID, String, Bool, Curve25519.Signing.PrivateKey)] = [
            (try AgencyID("admin-a"), "Admin A", true, Curve25519.Signing.PrivateKey()),
            (try AgencyID("admin-b"), "Admin B", true, Curve25519.Signing.PrivateKey()),
            (writer, "Traffic Bureau", false, writerKey),
            (reader, "Bench Reader", false, Curve25519.Signing.PrivateKey()),
            (auditor, "Audit Office", false, Curve25519.Signing.PrivateKey()),
        ]
        let genesisTime: UInt64 = 1_700_000_000_000
        let genesis = Genesis(
            chainID: chainID, genesisTimeMillis: genesisTime,
            validators: validatorKeys.enumerated().map { i, k in Validator(publicKey: k.ledgerPublicKey, power: 10, name: "v\(i)") },
            adminThreshold: 2,
            agencies: agencies.map { id, name, admin, key in
                GenesisAgency(id: id, name: name, isAdmin: admin, keys: [AgencyKey(keyID: 1, material: .signing(key.ledgerPublicKey))])
            },
            datasets: [GenesisDataset(id: parking, owner: writer, sensitivity: .public, schema: "parking/v1", writers: [])])
        try genesis.validate()

        // Block sizes, then each transaction's block height (its expiry follows it).
        var sizes: [Int] = []
        var left = catchUp
        while left > 0 { sizes.append(min(perBlock, left)); left -= sizes.last! }
        let catchUpBlocks = sizes.count
        sizes += Array(repeating: livePerBlock, count: liveBlocks)
        var heights: [UInt64] = []
        heights.reserveCapacity(sizes.reduce(0, +))
        for (b, n) in sizes.enumerated() { heights += Array(repeating: UInt64(b + 1), count: n) }

        let signStart = LoadClock.now()
        let txs = signAll(heights: heights, subjects: subjects, key: Array(writerKey.rawRepresentation))
        let signSeconds = Double(LoadClock.now() - signStart) / 1e9

        let applyStart = LoadClock.now()
        var state = try LedgerState(genesis: genesis)
        var lastHash = genesis.hash
        var blocks: [CertifiedBlock] = []
        blocks.reserveCapacity(sizes.count)
        var offset = 0
        for n in sizes {
            let h = state.height + 1
            let body = Array(txs[offset..<(offset + n)])
            offset += n
            guard let set = state.validatorSet(forHeight: h) else { throw BenchFailure("no validator set for height \(h)") }
            for o in state.applyBlock(body, height: h, signaturesVerified: { _ in true }) {
                if case .failure(let r) = o.result { throw BenchFailure("the ledger refused bench transaction \(o.index) of block \(h): \(r)") }
            }
            let header = BlockHeader(chainID: chainID, height: h, timeMillis: genesisTime + h * 1000, previousHash: lastHash,
                                     transactionsRoot: Block.transactionsRoot(body), transactionCount: UInt32(n),
                                     stateRoot: state.stateRoot, validatorSetHash: set.hash, proposer: validatorKeys[0].ledgerPublicKey)
            let votes = try validatorKeys.prefix(3).map {
                try Vote.sign(kind: .precommit, height: h, round: 0, blockHash: header.hash, chainID: chainID, key: $0)
            }
            blocks.append(CertifiedBlock(block: Block(header: header, transactions: body),
                                         certificate: CommitCertificate(height: h, round: 0, blockHash: header.hash, precommits: votes)))
            lastHash = header.hash
        }
        let encoded = blocks.map(\.canonicalBytes)
        let applySeconds = Double(LoadClock.now() - applyStart) / 1e9
        return IndexBenchChain(genesis: genesis, blocks: blocks, encoded: encoded, catchUpBlocks: catchUpBlocks,
                               subjects: min(subjects, max(1, catchUp)), signSeconds: signSeconds, applySeconds: applySeconds,
                               validatorKeys: validatorKeys.map { Array($0.rawRepresentation) }, finalState: state)
    }

    /// Signs transaction i (put-record of `bay-(i % subjects)`, nonce i + 1, in block `heights[i]`)
    /// for every i, on every core.
    private static func signAll(heights: [UInt64], subjects: Int, key raw: [UInt8]) -> [SignedTransaction] {
        let total = heights.count
        guard total > 0 else { return [] }
        let slots = UnsafeMutableBufferPointer<SignedTransaction>.allocate(capacity: total)
        defer { slots.deallocate() }
        nonisolated(unsafe) let out = slots   // each chunk initializes only its own slots
        let chunks = max(1, min(64, total / 500))
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let key = try! Curve25519.Signing.PrivateKey(rawRepresentation: raw)
            let signer = Signer(agency: writer, keyID: KeyID(1))
            var i = c * total / chunks
            while i < (c + 1) * total / chunks {
                let bytes = Self.payload(i)
                let op = LedgerOperation.putRecord(dataset: parking, subject: Self.subject(i % subjects), payloadHash: Hash32.sha256(bytes))
                let body = TransactionBody(chainID: chainID, signer: signer, nonce: UInt64(i + 1),
                                           expiresAtHeight: heights[i] + 1000, operation: op)
                (out.baseAddress! + i).initialize(to: try! SignedTransaction.sign(body, payload: bytes, key: key))
                i += 1
            }
        }
        let txs = Array(slots)
        _ = slots.baseAddress!.deinitialize(count: total)
        return txs
    }
}

/// A benchmark that cannot go on, and why.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
