import CityEncoding
import Crypto

/// A transaction body and its signatures: the body's signer first, then admin co-signers.
///
/// Decode once (issue 13 item 4): the body's canonical bytes and the id are computed once, when
/// the transaction is decoded (from the bytes read, not encoded again) or built, and carried with
/// it; changing `body` recomputes them. So ids, signing messages and encodings along the path
/// (mempool, blocks, gossip, streams) cost no re-encoding of the operation.
package struct SignedTransaction: Hashable, Sendable, CanonicalCodable {
    /// What is signed.
    package var body: TransactionBody {
        didSet { (bodyBytes, id) = Self.derived(body); decoded = false }
    }
    /// The signer's signature, then any co-signers' (1 to `maxSignatures`).
    package var signatures: [TransactionSignature] {
        didSet { decoded = false }
    }
    /// Whether these values came from the decoder unchanged (so every decoder rule already held:
    /// `checkStateless` need not decode them again). Not part of equality.
    package private(set) var decoded = false
    /// The body's canonical encoding.
    package private(set) var bodyBytes: [UInt8]
    /// The transaction's id (signatures excluded): `body.id`, computed once.
    package private(set) var id: TransactionID

    /// A transaction from its parts (not checked: `checkStateless` and `LedgerState.validate` do that).
    package init(body: TransactionBody, signatures: [TransactionSignature]) {
        self.body = body
        self.signatures = signatures
        (bodyBytes, id) = Self.derived(body)
    }

    private static func derived(_ body: TransactionBody) -> ([UInt8], TransactionID) {
        let bytes = body.canonicalBytes
        TransactionWork.idHashed()
        return (bytes, TransactionID(LedgerDomain.hash(LedgerDomain.transactionID, bytes)))
    }

    package static func == (a: SignedTransaction, b: SignedTransaction) -> Bool {
        a.id == b.id && a.signatures == b.signatures && a.bodyBytes == b.bodyBytes
    }

    package func hash(into h: inout Hasher) {
        h.combine(id)
        h.combine(signatures)
    }

    /// The length of `canonicalBytes`, without encoding: the body's bytes, the signature count and
    /// each signature (its signer's agency id and key id, then 64 bytes).
    package var encodedSize: Int {
        signatures.reduce(bodyBytes.count + 4) { $0 + 4 + $1.signer.agency.value.utf8.count + 4 + Signature.byteCount }
    }

    /// The bytes every signer signs (`body.signingMessage`, from the kept encoding).
    package var signingMessage: [UInt8] { LedgerDomain.message(LedgerDomain.transactionSignature, bodyBytes) }

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

    package func encode(to w: inout CanonicalWriter) {
        w.fixed(bodyBytes)
        w.array(signatures)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let start = r.offset
        body = try TransactionBody(from: &r)
        bodyBytes = Array(r.bytesRead(since: start))
        assert(bodyBytes == body.canonicalBytes, "the reader accepts canonical encodings only")
        id = TransactionID(LedgerDomain.hash(LedgerDomain.transactionID, bodyBytes))
        TransactionWork.decoded()
        TransactionWork.idHashed()
        signatures = try r.array(max: LedgerLimits.maxSignatures, "SignedTransaction.signatures")
        decoded = true
        guard !signatures.isEmpty else {
            throw CodecError(.invalidValue, field: "SignedTransaction.signatures", "no signatures; the body's signer must sign first")
        }
    }
}
