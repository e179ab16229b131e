import CityEncoding
import Crypto

/// A transaction body and its signatures: the body's signer first, then admin co-signers, then
/// (putRecord only) the payload the body commits to by hash (`DetachedPayload`, present or erased).
/// The id and signatures cover the body; the block's Merkle leaf is `leafBytes` (body and
/// signatures, not the payload), so a block whose payloads were erased still verifies.
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
    /// The detached payload: present for every putRecord until erased, nil for other operations.
    package var payload: DetachedPayload? {
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
    package init(body: TransactionBody, signatures: [TransactionSignature], payload: DetachedPayload? = nil) {
        self.body = body
        self.signatures = signatures
        self.payload = payload
        (bodyBytes, id) = Self.derived(body)
    }

    /// A putRecord's payload bytes (nil once erased, and for other operations).
    package var payloadBytes: [UInt8]? { payload?.bytes }

    /// Why the payload is not the one the body commits to (nil when it is, when it was erased, or
    /// when the operation carries none): a payload travels beside the signed body, so whoever
    /// checks a transaction's inclusion checks this too.
    package var payloadMismatch: String? {
        guard case let .putRecord(_, _, payloadHash) = body.operation, case .present(let bytes) = payload else { return nil }
        let actual = Hash32.sha256(bytes)
        return actual == payloadHash ? nil : "its payload hashes to \(actual), not to the payloadHash \(payloadHash) its signed body commits to"
    }

    /// Whether this putRecord's payload was erased (committed blocks only).
    package var payloadErased: Bool { payload == .erased }

    /// This transaction with its payload dropped (an erased record's earlier versions), or itself
    /// when it carries none.
    package var erasingPayload: SignedTransaction {
        guard payload != nil, payload != .erased else { return self }
        var copy = self
        copy.payload = .erased
        copy.decoded = decoded
        return copy
    }

    /// What the block's Merkle tree commits to: the body's bytes and the signatures, not the payload.
    package var leafBytes: [UInt8] {
        var w = CanonicalWriter(capacity: bodyBytes.count + 4 + signatures.count * 96)
        w.fixed(bodyBytes)
        w.array(signatures)
        return w.bytes
    }

    private static func derived(_ body: TransactionBody) -> ([UInt8], TransactionID) {
        let bytes = body.canonicalBytes
        TransactionWork.idHashed()
        return (bytes, TransactionID(LedgerDomain.hash(LedgerDomain.transactionID, bytes)))
    }

    package static func == (a: SignedTransaction, b: SignedTransaction) -> Bool {
        a.id == b.id && a.signatures == b.signatures && a.bodyBytes == b.bodyBytes && a.payload == b.payload
    }

    package func hash(into h: inout Hasher) {
        h.combine(id)
        h.combine(signatures)
    }

    /// The length of `canonicalBytes`, without encoding: the body's bytes, the signature count and
    /// each signature (its signer's agency id and key id, then 64 bytes), then the payload.
    package var encodedSize: Int {
        signatures.reduce(bodyBytes.count + 4 + (payload.map { $0.encodedSize } ?? (body.operation.carriesPayload ? 1 : 0))) {
            $0 + 4 + $1.signer.agency.value.utf8.count + 4 + Signature.byteCount
        }
    }

    /// The bytes every signer signs (`body.signingMessage`, from the kept encoding).
    package var signingMessage: [UInt8] { LedgerDomain.message(LedgerDomain.transactionSignature, bodyBytes) }

    /// Signs `body` with the signer's key and then each co-signer's key.
    /// `payload` is a putRecord's payload (its SHA-256 is the body's `payloadHash`).
    package static func sign(_ body: TransactionBody, payload: [UInt8]? = nil, key: Curve25519.Signing.PrivateKey,
                             cosigners: [(Signer, Curve25519.Signing.PrivateKey)] = []) throws -> SignedTransaction {
        let message = body.signingMessage
        var sigs = [TransactionSignature(signer: body.signer, signature: try key.ledgerSignature(for: message))]
        for (signer, k) in cosigners {
            sigs.append(TransactionSignature(signer: signer, signature: try k.ledgerSignature(for: message)))
        }
        return SignedTransaction(body: body, signatures: sigs, payload: payload.map { .present($0) })
    }

    package func encode(to w: inout CanonicalWriter) {
        w.fixed(bodyBytes)
        w.array(signatures)
        // A putRecord always has the field; one built without a payload encodes as erased (and
        // `checkStateless` refuses it outside committed blocks).
        if body.operation.carriesPayload { w.encode(payload ?? .erased) }
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
        guard !signatures.isEmpty else {
            throw CodecError(.invalidValue, field: "SignedTransaction.signatures", "no signatures; the body's signer must sign first")
        }
        payload = body.operation.carriesPayload ? try DetachedPayload(from: &r) : nil
        decoded = true
    }
}
