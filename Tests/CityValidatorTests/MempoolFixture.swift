import CityEncoding
import CityLedger
import CityValidator
import Crypto

/// A deterministic chain for the mempool and block-policy tests (after Tests/CityLedgerTests/Fixture.swift):
/// keys from fixed seeds, three admins (threshold 2), three agencies, four validators of power 10, three datasets.
enum MempoolFixture {
    static let chainID = "citychain-test"
    static let genesisTimeMillis: UInt64 = 1_700_000_000_000

    static func seed(_ b: UInt8) -> [UInt8] { [UInt8](repeating: b, count: 32) }
    static func signingKey(_ b: UInt8) -> Curve25519.Signing.PrivateKey {
        try! Curve25519.Signing.PrivateKey(rawRepresentation: seed(b))
    }
    static func sealingKey(_ b: UInt8) -> Curve25519.KeyAgreement.PrivateKey {
        try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: seed(b))
    }

    static func id(_ s: String) -> AgencyID { try! AgencyID(s) }
    static func ds(_ s: String) -> DatasetID { try! DatasetID(s) }
    static func subject(_ s: String) -> SubjectKey { try! SubjectKey(s) }

    /// Agency name → signing-key seed (key id 1), admin flag; the sealing key (key id 2) uses seed + 0x40.
    static let agencySeeds: [(String, UInt8, Bool)] = [
        ("admin-a", 0x01, true), ("admin-b", 0x02, true), ("admin-c", 0x03, true),
        ("land-bureau", 0x04, false), ("hospital", 0x05, false), ("tax-office", 0x06, false),
    ]

    static func key(_ agency: String) -> Curve25519.Signing.PrivateKey {
        signingKey(agencySeeds.first { $0.0 == agency }?.1 ?? 0x30)
    }
    static func signer(_ agency: String, _ keyID: KeyID = 1) -> Signer { Signer(agency: id(agency), keyID: keyID) }

    static var validatorKeys: [Curve25519.Signing.PrivateKey] { (0x10...0x13).map { signingKey(UInt8($0)) } }
    static var proposer: PublicKey { validatorKeys[0].ledgerPublicKey }

    static var genesis: Genesis {
        let agencies = agencySeeds.map { name, s, admin in
            GenesisAgency(id: id(name), name: "Agency \(name)", isAdmin: admin, keys: [
                AgencyKey(keyID: 1, material: .signing(signingKey(s).ledgerPublicKey)),
                AgencyKey(keyID: 2, material: .sealing(SealingPublicKey(sealingKey(s + 0x40).publicKey))),
            ])
        }
        return Genesis(
            chainID: chainID, genesisTimeMillis: genesisTimeMillis,
            validators: validatorKeys.enumerated().map { i, k in Validator(publicKey: k.ledgerPublicKey, power: 10, name: "v\(i)") },
            adminThreshold: 2, agencies: agencies,
            datasets: [
                GenesisDataset(id: ds("land.parcels"), owner: id("land-bureau"), sensitivity: .internal, schema: "parcel/v1",
                               writers: [id("tax-office")]),
                GenesisDataset(id: ds("parking.sessions"), owner: id("tax-office"), sensitivity: .public, schema: "parking/v1",
                               writers: []),
            ])
    }

    static func state() -> LedgerState { try! LedgerState(genesis: genesis) }
    static var genesisTip: ChainTip { ChainTip(genesis: genesis) }

    /// Signs `op` by `agency` (key id 1) with `cosigners` (agency names) co-signing.
    static func tx(_ agency: String, _ op: LedgerOperation, nonce: UInt64 = 1, expires: UInt64 = 100,
                   cosigners: [String] = []) -> SignedTransaction {
        let body = TransactionBody(chainID: chainID, signer: signer(agency), nonce: nonce, expiresAtHeight: expires, operation: op)
        return try! SignedTransaction.sign(body, key: key(agency), cosigners: cosigners.map { (signer($0), key($0)) })
    }

    static func put(_ dataset: String, _ subj: String, _ payload: [UInt8]) -> LedgerOperation {
        .putRecord(dataset: ds(dataset), subject: subject(subj), payload: payload, payloadHash: Hash32.sha256(payload))
    }

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
