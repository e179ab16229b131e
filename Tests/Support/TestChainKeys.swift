import CityEncoding
import CityLedger
@preconcurrency import Crypto

/// Keys by seed byte, derived once (deriving one per transaction was a sixth of a feed test's CPU).
private let signingKeysBySeed = (0...255).map { try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: UInt8($0), count: 32)) }
private let sealingKeysBySeed = (0...255).map { try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: [UInt8](repeating: UInt8($0), count: 32)) }

/// What every test chain fixture shares (the ledger's `Fixture`, the validator's `Chain` and
/// `MempoolFixture`, the API tests' `IX`, the indexer tests' `F`): keys from fixed seeds (an
/// agency's signing key is its seed, key id 1; its sealing key seed + 0x40, key id 2), four
/// validators of power 10 (seeds 0x10–0x13), the genesis agencies, and signed transactions.
/// A fixture names its chain id and, when it wants other agencies, its own `agencySeeds`.
package protocol TestChainKeys {
    /// The fixture's chain id.
    static var chainID: String { get }
    /// Agency name → seed byte and admin flag, in genesis order.
    static var agencySeeds: [(String, UInt8, Bool)] { get }
}

extension TestChainKeys {
    /// Three admins (threshold 2) and three agencies.
    package static var agencySeeds: [(String, UInt8, Bool)] {
        [("admin-a", 0x01, true), ("admin-b", 0x02, true), ("admin-c", 0x03, true),
         ("land-bureau", 0x04, false), ("hospital", 0x05, false), ("tax-office", 0x06, false)]
    }

    package static func seed(_ b: UInt8) -> [UInt8] { [UInt8](repeating: b, count: 32) }
    package static func signingKey(_ b: UInt8) -> Curve25519.Signing.PrivateKey { signingKeysBySeed[Int(b)] }
    package static func sealingKey(_ b: UInt8) -> Curve25519.KeyAgreement.PrivateKey { sealingKeysBySeed[Int(b)] }

    package static func id(_ s: String) -> AgencyID { try! AgencyID(s) }
    package static func ds(_ s: String) -> DatasetID { try! DatasetID(s) }
    package static func subject(_ s: String) -> SubjectKey { try! SubjectKey(s) }

    /// The seed of `agency` (0x30 for an agency the genesis does not know: a stranger's key).
    package static func seedOf(_ agency: String) -> UInt8 { agencySeeds.first { $0.0 == agency }?.1 ?? 0x30 }
    package static func key(_ agency: String) -> Curve25519.Signing.PrivateKey { signingKey(seedOf(agency)) }
    package static func sealKey(_ agency: String) -> Curve25519.KeyAgreement.PrivateKey { sealingKey(seedOf(agency) + 0x40) }
    package static func signer(_ agency: String, _ keyID: KeyID = 1) -> Signer { Signer(agency: id(agency), keyID: keyID) }

    package static var validatorKeys: [Curve25519.Signing.PrivateKey] { (0x10...0x13).map { signingKey(UInt8($0)) } }

    /// The first `count` validators, power 10 each, named v0, v1, …
    package static func genesisValidators(_ count: Int = 4) -> [Validator] {
        validatorKeys.prefix(count).enumerated().map { i, k in Validator(publicKey: k.ledgerPublicKey, power: 10, name: "v\(i)") }
    }

    /// The genesis agencies of `agencySeeds`, each with its signing key (id 1) and, unless
    /// `sealing` is false, its sealing key (id 2).
    package static func genesisAgencies(sealing: Bool = true) -> [GenesisAgency] {
        agencySeeds.map { name, s, admin in
            var keys = [AgencyKey(keyID: 1, material: .signing(signingKey(s).ledgerPublicKey))]
            if sealing { keys.append(AgencyKey(keyID: 2, material: .sealing(SealingPublicKey(sealingKey(s + 0x40).publicKey)))) }
            return GenesisAgency(id: id(name), name: "Agency \(name)", isAdmin: admin, keys: keys)
        }
    }

    /// A genesis of this fixture's agencies and `validators` validators (admin threshold 2).
    package static func makeGenesis(validators count: Int = 4, sealing: Bool = true, datasets: [GenesisDataset]) -> Genesis {
        Genesis(chainID: chainID, genesisTimeMillis: 1_700_000_000_000, validators: genesisValidators(count),
                adminThreshold: 2, agencies: genesisAgencies(sealing: sealing), datasets: datasets)
    }

    /// The body of `op` by `agency` (key id 1).
    package static func body(_ agency: String, _ op: LedgerOperation, nonce: UInt64 = 1, expires: UInt64 = 100,
                             chain: String? = nil) -> TransactionBody {
        TransactionBody(chainID: chain ?? chainID, signer: signer(agency), nonce: nonce, expiresAtHeight: expires, operation: op)
    }

    /// Signs `op` by `agency` with `cosigners` (agency names) co-signing.
    package static func tx(_ agency: String, _ op: LedgerOperation, nonce: UInt64 = 1, expires: UInt64 = 100, chain: String? = nil,
                           cosigners: [String] = []) -> SignedTransaction {
        try! SignedTransaction.sign(body(agency, op, nonce: nonce, expires: expires, chain: chain), key: key(agency),
                                    cosigners: cosigners.map { (signer($0), key($0)) })
    }

    /// A record put of `payload` (its hash filled in), with the payload that travels beside it.
    package static func put(_ dataset: DatasetID, _ subj: String, _ payload: [UInt8]) -> RecordWrite {
        RecordWrite(operation: .putRecord(dataset: dataset, subject: subject(subj), payloadHash: Hash32.sha256(payload)), payload: payload)
    }

    /// Signs a record put (its payload attached) by `agency`.
    package static func tx(_ agency: String, _ write: RecordWrite, nonce: UInt64 = 1, expires: UInt64 = 100,
                           chain: String? = nil, cosigners: [String] = []) -> SignedTransaction {
        try! SignedTransaction.sign(body(agency, write.operation, nonce: nonce, expires: expires, chain: chain),
                                    payload: write.payload, key: key(agency), cosigners: cosigners.map { (signer($0), key($0)) })
    }

    /// The body of a record put by `agency` (key id 1).
    package static func body(_ agency: String, _ write: RecordWrite, nonce: UInt64 = 1, expires: UInt64 = 100,
                             chain: String? = nil) -> TransactionBody {
        body(agency, write.operation, nonce: nonce, expires: expires, chain: chain)
    }
}

/// A putRecord operation and the payload it commits to by hash (which travels beside the signed body).
package struct RecordWrite: Sendable {
    /// The operation (its `payloadHash` is SHA-256 of `payload`).
    package var operation: LedgerOperation
    /// The payload.
    package var payload: [UInt8]

    /// An operation and its payload.
    package init(operation: LedgerOperation, payload: [UInt8]) {
        self.operation = operation
        self.payload = payload
    }
}
