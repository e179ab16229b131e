import CityEncoding
import CityTestSupport
import Crypto
import Foundation
@testable import CityLedger

/// A deterministic chain: keys from fixed seeds, three admins (threshold 2), three agencies,
/// four validators of power 10, three datasets.
enum Fixture: TestChainKeys {
    static let chainID = "citychain-test"

    static var genesis: Genesis {
        makeGenesis(datasets: [
            GenesisDataset(id: ds("land.parcels"), owner: id("land-bureau"), sensitivity: .internal, schema: "parcel/v1",
                           writers: [id("tax-office")]),
            GenesisDataset(id: ds("health.visits"), owner: id("hospital"), sensitivity: .restricted, schema: "visit/v1", writers: []),
            GenesisDataset(id: ds("parking.sessions"), owner: id("tax-office"), sensitivity: .public, schema: "parking/v1",
                           writers: []),
        ])
    }

    static func state() -> LedgerState { try! LedgerState(genesis: genesis) }

    static func put(_ dataset: String, _ subj: String, _ payload: [UInt8]) -> RecordWrite { put(ds(dataset), subj, payload) }
}

extension Fixture {
    /// One transaction of every operation kind, in tag order (the vectors' inputs).
    static var sampleTransactions: [SignedTransaction] {
        let payload = Array("{\"owner\":\"ana\"}".utf8)
        let admins = ["admin-b"]
        return [
            tx("land-bureau", .defineDataset(id: ds("land.deeds"), sensitivity: .internal, schema: "deed/v1",
                                             writers: [id("tax-office")]), nonce: 1),
            tx("land-bureau", put("land.parcels", "parcel-42", payload), nonce: 2),
            tx("land-bureau", .deleteRecord(dataset: ds("land.parcels"), subject: subject("parcel-42"), reason: "merged"), nonce: 3),
            tx("land-bureau", .grantAccess(dataset: ds("land.parcels"), grantee: id("tax-office"), expiresAtHeight: 90,
                                           expiresAtMillis: 1_800_000_000_000, purpose: "assessment"), nonce: 4),
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
            tx("admin-a", .revokeCertificate(fingerprint: Hash32.sha256(Array("leaked certificate".utf8)), reason: "laptop stolen"),
               nonce: 11, cosigners: admins),
            tx("land-bureau", .shareRecordKeys(dataset: ds("land.parcels"), grantee: id("tax-office"), shares: [
                RecordKeyShare(subject: subject("parcel-42"), version: 1,
                               key: SealedRecipient(agency: id("tax-office"), keyID: 2, encapsulatedKey: [UInt8](repeating: 0x11, count: 32),
                                                    wrappedKey: [UInt8](repeating: 0x22, count: 48))),
            ]), nonce: 12),
            tx("land-bureau", .eraseRecord(dataset: ds("land.parcels"), subject: subject("parcel-42"), reason: "resident's erasure request"),
               nonce: 13),
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
