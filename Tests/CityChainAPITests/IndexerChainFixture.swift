import CityTestSupport
import CityChainAPI
import CityEncoding
import CityLedger
import CityMerkle
@preconcurrency import Crypto

/// A small real chain for the indexer answers' proof checks, cut down from
/// `Tests/CityIndexerTests/Support/IndexerFixture.swift`: four validators of equal power (three sign
/// each header, a quorum), two admins, a public dataset with JSON payloads, an internal one, and
/// `audit-office`, which plays the indexer's operator and anchors disclosure batches.
enum IX: TestChainKeys {
    static let chainID = "citychain-api-test"

    static let agencySeeds: [(String, UInt8, Bool)] = [
        ("admin-a", 0x01, true), ("admin-b", 0x02, true), ("traffic-bureau", 0x03, false), ("land-bureau", 0x04, false),
        ("audit-office", 0x08, false),
    ]

    static let parking = ds("parking.sessions")
    static let property = ds("property.registry")
    static let auditor = id("audit-office")

    static let genesis: Genesis = makeGenesis(sealing: false, datasets: [
        GenesisDataset(id: parking, owner: id("traffic-bureau"), sensitivity: .public, schema: "parking/v1", writers: []),
        GenesisDataset(id: property, owner: id("land-bureau"), sensitivity: .internal, schema: "parcel/v1", writers: []),
    ])

    /// The validator set every height of this chain is signed by.
    static let validatorSet = try! ValidatorSet(genesis.validators)

    /// Four validators that are not this chain's: a set a verifier might wrongly trust.
    static let otherValidatorSet = try! ValidatorSet((0x20...0x23).enumerated().map { i, b in
        Validator(publicKey: signingKey(UInt8(b)).ledgerPublicKey, power: 10, name: "w\(i)")
    })
}

/// Builds real certified blocks: the ledger applies every transaction (a refusal stops the test),
/// the header carries the resulting state root, and three of the four validators precommit it.
struct APIChain: Sendable {
    var state = try! LedgerState(genesis: IX.genesis)
    var lastHash = IX.genesis.hash
    var blocks: [CertifiedBlock] = []
    /// The state after each block (index 0: after block 1), for proofs as of an older height.
    var states: [LedgerState] = []
    var nonce: UInt64 = 0

    mutating func tx(_ agency: String, _ op: LedgerOperation) -> SignedTransaction {
        nonce += 1
        return IX.tx(agency, op, nonce: nonce, expires: state.height + 1000)
    }

    mutating func tx(_ agency: String, _ write: RecordWrite) -> SignedTransaction {
        nonce += 1
        return IX.tx(agency, write, nonce: nonce, expires: state.height + 1000)
    }

    static func put(_ dataset: DatasetID, _ subject: String, _ json: String) -> RecordWrite {
        IX.put(dataset, subject, Array(json.utf8))
    }

    /// A parking session (public JSON) on bay `bay`.
    mutating func parking(_ bay: Int, minutes: Int, zone: String = "B") -> SignedTransaction {
        tx("traffic-bureau", Self.put(IX.parking, "bay-\(bay)", #"{"zone":"\#(zone)","minutes":\#(minutes),"paid":true}"#))
    }

    /// A property registration (internal JSON).
    mutating func property(_ parcel: String, owner: String) -> SignedTransaction {
        tx("land-bureau", Self.put(IX.property, parcel, #"{"parcel":"\#(parcel)","owner":"\#(owner)"}"#))
    }

    /// Applies and certifies the next block holding `txs` (three of the four genesis validators
    /// precommit; after a set change, every member of the set in force).
    @discardableResult
    mutating func block(_ txs: [SignedTransaction]) -> CertifiedBlock {
        let (header, set) = ChainFixtureKit.apply(txs, to: &state, chainID: IX.chainID, previousHash: lastHash,
                                                  proposer: IX.validatorKeys[0].ledgerPublicKey)
        let certificate = set == IX.validatorSet ? Self.certify(header)
            : ChainFixtureKit.certificate(header, chainID: IX.chainID, by: set, candidates: (0x10...0x1F).map { IX.signingKey(UInt8($0)) })
        let cb = CertifiedBlock(block: Block(header: header, transactions: txs), certificate: certificate)
        lastHash = header.hash
        blocks.append(cb)
        states.append(state)
        return cb
    }

    static func certify(_ header: BlockHeader, signers: Int = 3) -> CommitCertificate {
        ChainFixtureKit.certificate(header, chainID: IX.chainID, keys: IX.validatorKeys.prefix(signers))
    }

    /// A validator-set change signed by admin-a and co-signed by admin-b (the threshold is 2).
    mutating func validatorChange(_ changes: [ValidatorChange]) -> SignedTransaction {
        nonce += 1
        return ChainFixtureKit.validatorChange(changes, chainID: IX.chainID, nonce: nonce, expiresAtHeight: state.height + 1000,
                                               proposer: (IX.id("admin-a"), IX.key("admin-a")), cosigner: (IX.id("admin-b"), IX.key("admin-b")))
    }

    /// The certified header of block `height`.
    func header(_ height: UInt64) -> CertifiedHeader {
        let cb = blocks[Int(height) - 1]
        return CertifiedHeader(header: cb.block.header, certificate: cb.certificate)
    }

    /// The latest certified header.
    var tip: CertifiedHeader { header(UInt64(blocks.count)) }

    /// The transaction at `index` of block `height`, with its inclusion proof and certified header.
    func proven(_ height: UInt64, _ index: Int) -> ProvenTransaction {
        let cb = blocks[Int(height) - 1]
        return ProvenTransaction(transaction: cb.block.transactions[index], proof: cb.block.inclusionProof(forTransactionAt: index)!,
                                 header: header(height))
    }

    /// The proven transaction with this id.
    func proven(_ id: TransactionID) -> ProvenTransaction {
        for cb in blocks {
            if let i = cb.block.transactions.firstIndex(where: { $0.id == id }) { return proven(cb.height, i) }
        }
        fatalError("no transaction \(id) in the fixture chain")
    }
}
