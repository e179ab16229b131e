import CityEncoding
import Crypto

/// A transaction body and its signatures: the body's signer first, then admin co-signers.
package struct SignedTransaction: Hashable, Sendable, CanonicalCodable {
    /// What is signed.
    package var body: TransactionBody
    /// The signer's signature, then any co-signers' (1 to `maxSignatures`).
    package var signatures: [TransactionSignature]

    /// A transaction from its parts (not checked: `checkStateless` and `LedgerState.validate` do that).
    package init(body: TransactionBody, signatures: [TransactionSignature]) {
        self.body = body
        self.signatures = signatures
    }

    /// Signs `body` with the signer's key and then each co-signer's key.
    package static func sign(_ body: TransactionBody, key: Curve25519.Signing.PrivateKey,
                             cosigners: [(Signer, Curve25519.Signing.PrivateKey)] = []) throws -> SignedTransaction {
        let message = body.signingMessage
        var sigs = [TransactionSignature(signer: body.signer, signature: try key.ledgerSignature(for: message))]
        for (signer, k) in cosigners {
            sigs.append(TransactionSignature(signer: signer, signature: try k.ledgerSignature(for: message)))
        }
        return SignedTransaction(body: body, signatures: sigs)
    }

    /// The transaction's id (signatures excluded).
    package var id: TransactionID { body.id }

    package func encode(to w: inout CanonicalWriter) {
        w.encode(body)
        w.array(signatures)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        body = try TransactionBody(from: &r)
        signatures = try r.array(max: LedgerLimits.maxSignatures, "SignedTransaction.signatures")
        guard !signatures.isEmpty else {
            throw CodecError(.invalidValue, field: "SignedTransaction.signatures", "no signatures; the body's signer must sign first")
        }
    }
}
