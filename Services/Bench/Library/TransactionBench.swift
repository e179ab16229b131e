import CityEncoding
import CityLedger
import Crypto
import Foundation

/// Encode+hash+sign and decode+hash+verify rates of a put-record transaction, beside the raw verify rate.
struct TransactionBench {
    let payloadBytes: Int
    let seconds: Double

    func run(rawVerify1: Double, rawVerify2: Double) throws {
        let sign = try SignTransaction(payloadBytes: payloadBytes)
        let verify = try VerifyTransaction(payloadBytes: payloadBytes)
        print("transaction: put-record, \(payloadBytes)-byte payload, \(verify.encoded.count) bytes encoded")
        for threads in [1, 2] {
            let signRate = RateMeter.perSecond(seconds: seconds, threads: threads, sign)
            let verifyRate = RateMeter.perSecond(seconds: seconds, threads: threads, verify)
            let raw = threads == 1 ? rawVerify1 : rawVerify2
            print(String(format: "ours   encode+hash+sign  %d thread%@: %9.0f /s", threads, threads == 1 ? " " : "s", signRate))
            print(String(format: "ours   decode+hash+verify %d thread%@: %9.0f /s  (%.0f%% of the raw verify limit, %.0f /s)",
                         threads, threads == 1 ? "" : "s", verifyRate, 100 * verifyRate / raw, raw))
        }
    }
}

/// Builds, encodes, hashes and signs a transaction (a new nonce each time).
/// `@unchecked`: the key is immutable and only read; the nonce counter is per-call random.
struct SignTransaction: BenchWork, @unchecked Sendable {
    let key = Curve25519.Signing.PrivateKey()
    let operation: LedgerOperation
    let payload: [UInt8]
    let signer: Signer

    init(payloadBytes: Int) throws {
        payload = [UInt8](repeating: 0x61, count: payloadBytes)
        operation = .putRecord(dataset: try DatasetID("parking-sessions"), subject: try SubjectKey("meter-0042"), payloadHash: Hash32.sha256(payload))
        signer = Signer(agency: try AgencyID("parking-authority"), keyID: KeyID(1))
    }

    func once() {
        let body = TransactionBody(chainID: "city-bench", signer: signer, nonce: UInt64.random(in: 0...UInt64.max),
                                   expiresAtHeight: 1_000, operation: operation)
        let tx = try! SignedTransaction.sign(body, payload: payload, key: key)
        precondition(!tx.canonicalBytes.isEmpty && tx.id.hash != .zero)
    }
}

/// Decodes a signed transaction's bytes, computes its id, and verifies its signature.
struct VerifyTransaction: BenchWork, @unchecked Sendable {
    let publicKey: PublicKey
    let encoded: [UInt8]

    init(payloadBytes: Int) throws {
        let signer = try SignTransaction(payloadBytes: payloadBytes)
        let body = TransactionBody(chainID: "city-bench", signer: signer.signer, nonce: 7, expiresAtHeight: 1_000,
                                   operation: signer.operation)
        encoded = try SignedTransaction.sign(body, payload: signer.payload, key: signer.key).canonicalBytes
        publicKey = signer.key.ledgerPublicKey
    }

    func once() {
        let tx = try! SignedTransaction(canonicalBytes: encoded)
        precondition(tx.id.hash != .zero)
        precondition(publicKey.isValidSignature(tx.signatures[0].signature, for: tx.body.signingMessage))
    }
}
