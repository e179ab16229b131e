import CityEncoding
import CityLedger
import CityTestSupport
import Crypto
import Foundation
import Logging
@testable import CityValidator

/// A deterministic test chain (keys and agencies from CityTestSupport's `TestChainKeys`):
/// four validators of power 10; blocks of real signed `putRecord` transactions by `land-bureau`,
/// each certified by three precommits.
struct Chain: TestChainKeys {
    static let chainID = "citychain-test"
    static var writerKey: Curve25519.Signing.PrivateKey { signingKey(0x04) }

    static let genesis: Genesis = makeGenesis(datasets: [
        GenesisDataset(id: ds("land.parcels"), owner: id("land-bureau"), sensitivity: .internal, schema: "parcel/v1", writers: []),
    ])

    /// The state after the last block made.
    var state = try! LedgerState(genesis: Chain.genesis)
    /// Hash of the last block (the genesis hash at first).
    var lastHash = Chain.genesis.hash
    /// Every record made, height `i + 1` at index `i`.
    var records: [BlockRecord] = []
    /// Distinguishes this chain's transactions from another's (a fork).
    var salt: String
    private var nonce: UInt64 = 0

    init(salt: String = "a") { self.salt = salt }

    /// A signed `putRecord` of `payloadBytes` bytes by `land-bureau`, unique by nonce.
    mutating func transaction(payloadBytes: Int, atHeight h: UInt64) -> SignedTransaction {
        nonce += 1
        let payload = [UInt8](repeating: UInt8(truncatingIfNeeded: nonce), count: payloadBytes)
        let op = LedgerOperation.putRecord(dataset: try! DatasetID("land.parcels"), subject: try! SubjectKey("p-\(salt)-\(nonce)"),
                                           payloadHash: Hash32.sha256(payload))
        let body = TransactionBody(chainID: Chain.chainID, signer: Signer(agency: try! AgencyID("land-bureau"), keyID: 1),
                                   nonce: nonce, expiresAtHeight: h + 100, operation: op)
        return try! SignedTransaction.sign(body, payload: payload, key: Chain.writerKey, cosigners: [])
    }

    /// Makes, applies and certifies the next block of `transactions` transactions.
    @discardableResult
    mutating func next(transactions count: Int = 2, payloadBytes: Int = 16) -> BlockRecord {
        let h = state.height + 1
        return next(block: (0..<count).map { _ in transaction(payloadBytes: payloadBytes, atHeight: h) })
    }

    /// Applies, certifies and records the next block holding `txs`; `signaturesVerified` makes
    /// the apply skip the Ed25519 checks (to certify a block with a bad signature in it).
    @discardableResult
    mutating func next(block txs: [SignedTransaction], signaturesVerified: Bool = false) -> BlockRecord {
        let h = state.height + 1
        let set = state.validatorSet(forHeight: h)!
        _ = state.applyBlock(txs, height: h, signaturesVerified: { _ in signaturesVerified })
        let header = BlockHeader(chainID: Chain.chainID, height: h, timeMillis: 1_700_000_000_000 + h * 1000, previousHash: lastHash,
                                 transactionsRoot: Block.transactionsRoot(txs), transactionCount: UInt32(txs.count), stateRoot: state.stateRoot,
                                 validatorSetHash: set.hash, proposer: Chain.validatorKeys[0].ledgerPublicKey)
        let record = BlockRecord(block: Block(header: header, transactions: txs), certificate: Chain.certify(header))
        lastHash = header.hash
        records.append(record)
        return record
    }

    /// A certificate of three of the four validators' precommits for `header`.
    static func certify(_ header: BlockHeader) -> CommitCertificate {
        let votes = validatorKeys.prefix(3).map {
            try! Vote.sign(kind: .precommit, height: header.height, round: 0, blockHash: header.hash, chainID: chainID, key: $0)
        }
        return CommitCertificate(height: header.height, round: 0, blockHash: header.hash, precommits: votes)
    }

    /// A chain of `blocks` blocks.
    static func make(blocks: Int, transactions: Int = 2, salt: String = "a") -> Chain {
        var c = Chain(salt: salt)
        for _ in 0..<blocks { c.next(transactions: transactions) }
        return c
    }
}

/// A temporary directory removed at the end of the test.
final class TempDir {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("citychain-storage-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    func bytes(_ name: String) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: file(name))!) }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name)) }

    func write(_ bytes: [UInt8], _ name: String) {
        _ = FileManager.default.createFile(atPath: file(name), contents: Data(bytes))
    }
}

/// Opens a log for the test chain.
func openLog(_ path: String) throws(BlockStoreError) -> BlockLog {
    try BlockLog.open(path: path, chainID: Chain.chainID, genesisHash: Chain.genesis.hash, logger: quietLogger)
}

/// A logger that drops everything (the torn-tail test would print a warning per offset).
let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// The expected bytes of a log holding `records`: the header then each framed record.
func logBytes(_ records: [BlockRecord]) -> [UInt8] {
    BlockLogHeader(chainID: Chain.chainID, genesisHash: Chain.genesis.hash).bytes + records.flatMap(\.framedBytes)
}
