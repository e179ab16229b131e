import CityEncoding
import CityLedger
import CityValidator
import CityTestSupport
import Crypto

/// A deterministic chain for the mempool and block-policy tests (after Tests/CityLedgerTests/Fixture.swift):
/// keys from fixed seeds, three admins (threshold 2), three agencies, four validators of power 10, three datasets.
enum MempoolFixture: TestChainKeys {
    static let chainID = "citychain-test"
    static let genesisTimeMillis: UInt64 = 1_700_000_000_000

    static var proposer: PublicKey { validatorKeys[0].ledgerPublicKey }

    static var genesis: Genesis {
        makeGenesis(datasets: [
            GenesisDataset(id: ds("land.parcels"), owner: id("land-bureau"), sensitivity: .internal, schema: "parcel/v1",
                           writers: [id("tax-office")]),
            GenesisDataset(id: ds("parking.sessions"), owner: id("tax-office"), sensitivity: .public, schema: "parking/v1",
                           writers: []),
        ])
    }

    static func state() -> LedgerState { try! LedgerState(genesis: genesis) }
    static var genesisTip: ChainTip { ChainTip(genesis: genesis) }

    static func put(_ dataset: String, _ subj: String, _ payload: [UInt8]) -> RecordWrite { put(ds(dataset), subj, payload) }

    /// A parking session put by the tax office: `nonce` makes each one a distinct transaction.
    static func parking(_ nonce: UInt64, by agency: String = "tax-office", payloadBytes: Int = 16,
                        expires: UInt64 = 100) -> SignedTransaction {
        let dataset = agency == "tax-office" ? "parking.sessions" : "land.parcels"
        return tx(agency, put(dataset, "s-\(nonce)", [UInt8](repeating: UInt8(truncatingIfNeeded: nonce), count: payloadBytes)),
                  nonce: nonce, expires: expires)
    }

    /// Defines dataset `name` owned by the land bureau.
    static func define(_ name: String, nonce: UInt64) -> SignedTransaction {
        tx("land-bureau", .defineDataset(id: ds(name), sensitivity: .internal, schema: "deed/v1", writers: []), nonce: nonce)
    }

    /// Revokes the hospital's signing key 1 (admin-a signs, admin-b co-signs).
    static var revokeHospitalKey: SignedTransaction {
        tx("admin-a", .revokeAgencyKey(agency: id("hospital"), keyID: 1), nonce: 900, cosigners: ["admin-b"])
    }
}

extension Mempool {
    /// `add` with the canonical size filled in.
    mutating func add(_ tx: SignedTransaction, state: LedgerState) -> MempoolAdmission {
        add(tx, encodedBytes: tx.canonicalBytes.count, state: state, height: state.height + 1)
    }
}
