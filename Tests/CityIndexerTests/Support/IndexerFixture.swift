import CityTestSupport
import CityChainAPI
import CityEncoding
import CityLedger
import Foundation
@preconcurrency import Crypto

/// A city chain for indexer tests: four validators, agencies with signing and sealing keys, and the
/// three kinds of dataset (public parking sessions with JSON payloads, internal property
/// registrations, restricted sealed medical records). `IndexerChain` builds real certified blocks
/// (the ledger applies every transaction; three of four validators sign each header).
enum F: TestChainKeys {
    static let chainID = "citychain-index-test"

    static let agencySeeds: [(String, UInt8, Bool)] = [
        ("admin-a", 0x01, true), ("admin-b", 0x02, true), ("traffic-bureau", 0x03, false), ("land-bureau", 0x04, false),
        ("hospital", 0x05, false), ("tax-office", 0x06, false), ("ambulance-service", 0x07, false), ("audit-office", 0x08, false),
        ("parks-department", 0x09, false),
    ]

    static let parking = ds("parking.sessions")
    static let property = ds("property.registry")
    static let medical = ds("medical.records")

    static let genesis: Genesis = makeGenesis(validators: 4)

    /// A chain signed by one validator (key 0): what one in-process `citychain-validator` commits alone.
    static let soloGenesis: Genesis = makeGenesis(validators: 1)

    static func makeGenesis(validators count: Int) -> Genesis {
        makeGenesis(validators: count, datasets: [
            GenesisDataset(id: parking, owner: id("traffic-bureau"), sensitivity: .public, schema: "parking/v1", writers: []),
            GenesisDataset(id: property, owner: id("land-bureau"), sensitivity: .internal, schema: "parcel/v1", writers: []),
            GenesisDataset(id: medical, owner: id("hospital"), sensitivity: .restricted, schema: "visit/v1", writers: []),
        ])
    }

    static var genesisJSON: Data { try! genesis.toJSON() }
}

/// Builds the chain block by block.
struct IndexerChain: Sendable {
    var state = try! LedgerState(genesis: F.genesis)
    var lastHash = F.genesis.hash
    var blocks: [CertifiedBlock] = []
    var nonce: UInt64 = 0

    var height: UInt64 { state.height }

    mutating func tx(_ agency: String, _ op: LedgerOperation) -> SignedTransaction {
        nonce += 1
        return F.tx(agency, op, nonce: nonce, expires: state.height + 1000)
    }

    mutating func tx(_ agency: String, _ write: RecordWrite) -> SignedTransaction {
        nonce += 1
        return F.tx(agency, write, nonce: nonce, expires: state.height + 1000)
    }

    static func put(_ dataset: DatasetID, _ subject: String, _ payload: [UInt8]) -> RecordWrite { F.put(dataset, subject, payload) }

    /// An admin operation signed by admin-a and co-signed by admin-b (the threshold is 2).
    mutating func admin(_ op: LedgerOperation) -> SignedTransaction {
        nonce += 1
        let body = TransactionBody(chainID: F.chainID, signer: F.signer("admin-a"), nonce: nonce, expiresAtHeight: state.height + 1000, operation: op)
        return try! SignedTransaction.sign(body, key: F.key("admin-a"), cosigners: [(F.signer("admin-b"), F.key("admin-b"))])
    }

    /// A parking session (public JSON).
    mutating func parking(_ i: Int, zone: String? = nil) -> SignedTransaction {
        let z = zone ?? ["A", "B", "C"][i % 3]
        let json = #"{"meter":"m-\#(i % 50)","zone":"\#(z)","minutes":\#(15 + i % 90),"plate":"CC-\#(1000 + i)","paid":\#(i % 4 != 0)}"#
        return tx("traffic-bureau", Self.put(F.parking, "bay-\(i % 500)", Array(json.utf8)))
    }

    /// A property registration (internal JSON).
    mutating func property(_ parcel: String, owner: String) -> SignedTransaction {
        tx("land-bureau", Self.put(F.property, parcel, Array(#"{"parcel":"\#(parcel)","owner":"\#(owner)"}"#.utf8)))
    }

    /// A hospital visit sealed to the hospital and the ambulance service.
    mutating func medical(_ patient: String, _ text: String) -> SignedTransaction {
        let readers: [(AgencyID, KeyID, Curve25519.KeyAgreement.PublicKey)] = ["hospital", "ambulance-service"].map {
            (F.id($0), KeyID(2), F.sealKey($0).publicKey)
        }
        let sealed = try! SealedPayload.seal(Array(text.utf8), to: readers)
        return tx("hospital", Self.put(F.medical, patient, sealed.canonicalBytes))
    }

    mutating func grant(_ dataset: DatasetID, to grantee: String, by owner: String, expires: UInt64, purpose: String = "test") -> SignedTransaction {
        tx(owner, .grantAccess(dataset: dataset, grantee: F.id(grantee), expiresAtHeight: expires, purpose: purpose))
    }

    /// Applies, checks and certifies the next block holding `txs` (three of the four genesis
    /// validators precommit; after a set change, every member of the set in force). The fixture
    /// signed every transaction itself: the ledger applies them without re-verifying each Ed25519
    /// signature (a third of a feed test's CPU); its other rules all apply.
    @discardableResult
    mutating func block(_ txs: [SignedTransaction]) -> CertifiedBlock {
        let (header, set) = ChainFixtureKit.apply(txs, to: &state, chainID: F.chainID, previousHash: lastHash,
                                                  proposer: F.validatorKeys[0].ledgerPublicKey, signaturesChecked: false)
        let certificate = set == Self.genesisSet ? Self.certify(header)
            : ChainFixtureKit.certificate(header, chainID: F.chainID, by: set, candidates: (0x10...0x1F).map { F.signingKey(UInt8($0)) })
        let cb = CertifiedBlock(block: Block(header: header, transactions: txs), certificate: certificate)
        lastHash = header.hash
        blocks.append(cb)
        return cb
    }

    static let genesisSet = try! ValidatorSet(F.genesis.validators)

    static func certify(_ header: BlockHeader, signers: Int = 3) -> CommitCertificate {
        ChainFixtureKit.certificate(header, chainID: F.chainID, keys: F.validatorKeys.prefix(signers))
    }

    /// A validator-set change signed by admin-a and co-signed by admin-b (the threshold is 2).
    mutating func validatorChange(_ changes: [ValidatorChange]) -> SignedTransaction {
        nonce += 1
        return ChainFixtureKit.validatorChange(changes, chainID: F.chainID, nonce: nonce, expiresAtHeight: state.height + 1000,
                                               proposer: (F.id("admin-a"), F.key("admin-a")), cosigner: (F.id("admin-b"), F.key("admin-b")))
    }

    /// `count` parking sessions in blocks of `perBlock`.
    mutating func parkingBlocks(_ count: Int, perBlock: Int, start: Int = 0) {
        var i = start
        while i < start + count {
            let n = min(perBlock, start + count - i)
            block((i..<(i + n)).map { parking($0) })
            i += n
        }
    }
}
