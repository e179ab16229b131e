import CityEncoding
import Crypto
import Foundation
@testable import CityLedger

/// A deterministic chain: keys from fixed seeds, three admins (threshold 2), three agencies,
/// four validators of power 10, three datasets.
enum Fixture {
    static let chainID = "citychain-test"

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

    /// Agency name → signing-key seed (key id 1); sealing key seed is the seed + 0x40 (key id 2).
    static let agencySeeds: [(String, UInt8, Bool)] = [
        ("admin-a", 0x01, true), ("admin-b", 0x02, true), ("admin-c", 0x03, true),
        ("land-bureau", 0x04, false), ("hospital", 0x05, false), ("tax-office", 0x06, false),
    ]

    static func seedOf(_ agency: String) -> UInt8 { agencySeeds.first { $0.0 == agency }!.1 }
    static func key(_ agency: String) -> Curve25519.Signing.PrivateKey { signingKey(seedOf(agency)) }
    static func sealKey(_ agency: String) -> Curve25519.KeyAgreement.PrivateKey { sealingKey(seedOf(agency) + 0x40) }
    static func signer(_ agency: String, _ keyID: KeyID = 1) -> Signer { Signer(agency: id(agency), keyID: keyID) }

    static var validatorKeys: [Curve25519.Signing.PrivateKey] { (0x10...0x13).map { signingKey(UInt8($0)) } }

    static var genesis: Genesis {
        let agencies = agencySeeds.map { name, s, admin in
            GenesisAgency(id: id(name), name: "Agency \(name)", isAdmin: admin, keys: [
                AgencyKey(keyID: 1, material: .signing(signingKey(s).ledgerPublicKey)),
                AgencyKey(keyID: 2, material: .sealing(SealingPublicKey(sealingKey(s + 0x40).publicKey))),
            ])
        }
        return Genesis(
            chainID: chainID, genesisTimeMillis: 1_700_000_000_000,
            validators: validatorKeys.enumerated().map { i, k in Validator(publicKey: k.ledgerPublicKey, power: 10, name: "v\(i)") },
            adminThreshold: 2, agencies: agencies,
            datasets: [
                GenesisDataset(id: ds("land.parcels"), owner: id("land-bureau"), sensitivity: .internal, schema: "parcel/v1",
                               writers: [id("tax-office")]),
                GenesisDataset(id: ds("health.visits"), owner: id("hospital"), sensitivity: .restricted, schema: "visit/v1", writers: []),
                GenesisDataset(id: ds("parking.sessions"), owner: id("tax-office"), sensitivity: .public, schema: "parking/v1",
                               writers: []),
            ])
    }

    static func state() -> LedgerState { try! LedgerState(genesis: genesis) }

    static func body(_ agency: String, _ op: LedgerOperation, nonce: UInt64 = 1, expires: UInt64 = 100,
                     chain: String = chainID) -> TransactionBody {
        TransactionBody(chainID: chain, signer: signer(agency), nonce: nonce, expiresAtHeight: expires, operation: op)
    }

    /// Signs `op` by `agency` with `cosigners` (agency names) co-signing.
    static func tx(_ agency: String, _ op: LedgerOperation, nonce: UInt64 = 1, expires: UInt64 = 100, chain: String = chainID,
                   cosigners: [String] = []) -> SignedTransaction {
        try! SignedTransaction.sign(body(agency, op, nonce: nonce, expires: expires, chain: chain), key: key(agency),
                                    cosigners: cosigners.map { (signer($0), key($0)) })
    }

    static func put(_ dataset: String, _ subj: String, _ payload: [UInt8]) -> LedgerOperation {
        .putRecord(dataset: ds(dataset), subject: subject(subj), payload: payload, payloadHash: Hash32.sha256(payload))
    }
}

extension Fixture {
    /// One transaction of every operation kind, in tag order (the vectors' inputs).
    static var sampleTransactions: [SignedTransaction] {
        let payload = Array("{\"owner\":\"ana\"}".utf8)
        let admins = ["admin-b"]
        return [
            tx("land-bureau", .defineDataset(id: ds("land.deeds"), sensitivity: .internal, schema: "deed/v1",
                                             writers: [id("tax-office")]), nonce: 1),
            tx("land-bureau", .putRecord(dataset: ds("land.parcels"), subject: subject("parcel-42"), payload: payload,
                                         payloadHash: Hash32.sha256(payload)), nonce: 2),
            tx("land-bureau", .deleteRecord(dataset: ds("land.parcels"), subject: subject("parcel-42"), reason: "merged"), nonce: 3),
            tx("land-bureau", .grantAccess(dataset: ds("land.parcels"), grantee: id("tax-office"), expiresAtHeight: 90,
                                           purpose: "assessment"), nonce: 4),
            tx("land-bureau", .revokeAccess(dataset: ds("land.parcels"), grantee: id("tax-office")), nonce: 5),
            tx("admin-a", .registerAgency(id: id("fire-dept"), name: "Fire Department", isAdmin: false, keys: [
                AgencyKey(keyID: 1, material: .signing(signingKey(0x07).ledgerPublicKey)),
                AgencyKey(keyID: 2, material: .sealing(SealingPublicKey(sealingKey(0x47).publicKey))),
            ]), nonce: 6, cosigners: admins),
            tx("admin-a", .addAgencyKey(agency: id("hospital"), key: AgencyKey(keyID: 3, material: .signing(signingKey(0x08).ledgerPublicKey))),
               nonce: 7, cosigners: admins),
            tx("admin-a", .revokeAgencyKey(agency: id("hospital"), keyID: 1), nonce: 8, cosigners: admins),
            tx("admin-a", .changeValidatorSet(changes: [ValidatorChange(publicKey: signingKey(0x14).ledgerPublicKey, power: 10,
                                                                        name: "v4")]), nonce: 9, cosigners: admins),
            tx("tax-office", .anchorAuditBatch(firstSequence: 0, lastSequence: 99, recordCount: 100,
                                               merkleRoot: Hash32.sha256(Array("audit".utf8))), nonce: 10),
        ]
    }
}

extension Fixture {
    /// The header of the vectors (fixed fields, not tied to a state).
    static var vectorHeader: BlockHeader {
        BlockHeader(chainID: chainID, height: 7, timeMillis: 1_700_000_007_000, previousHash: Hash32.sha256(Array("block 6".utf8)),
                    transactionsRoot: Hash32.sha256(Array("txs".utf8)), transactionCount: 3,
                    evidenceRoot: Hash32.sha256(Array("evidence".utf8)), stateRoot: Hash32.sha256(Array("state".utf8)),
                    validatorSetHash: Hash32.sha256(Array("validators".utf8)), proposer: validatorKeys[0].ledgerPublicKey)
    }
}

extension Fixture {
    /// The vote equivocation vector: v1 prevotes the vector header and nil at height 7, round 0.
    static var vectorVoteEquivocation: Equivocation {
        let key = validatorKeys[1]
        return Equivocation(votes: try! Vote.sign(kind: .prevote, height: 7, round: 0, blockHash: vectorHeader.hash, chainID: chainID, key: key),
                            try! Vote.sign(kind: .prevote, height: 7, round: 0, blockHash: nil, chainID: chainID, key: key))
    }

    /// The proposal equivocation vector: v0 proposes the vector header afresh and another block
    /// re-proposed from round 0, both at height 7, round 1.
    static var vectorProposalEquivocation: Equivocation {
        let key = validatorKeys[0]
        func header(_ valueID: Hash32, _ validRound: UInt32?) -> SignedProposalHeader {
            let message = SignedProposalHeader.signBytes(chainID: chainID, height: 7, round: 1, validRound: validRound, valueID: valueID)
            return SignedProposalHeader(height: 7, round: 1, validRound: validRound, valueID: valueID, proposer: key.ledgerPublicKey,
                                        signature: try! key.ledgerSignature(for: message))
        }
        return Equivocation(proposals: header(vectorHeader.hash, nil), header(Hash32.sha256(Array("block 7b".utf8)), 0))
    }
}
