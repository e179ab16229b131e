import CityEncoding

/// The signed part of a transaction: chain, signer, nonce, expiry and one operation.
@MemberwiseInit
package struct TransactionBody: Hashable, Sendable, CanonicalCodable {
    /// The chain this transaction is for; other chains reject it.
    package var chainID: String
    /// Who signs it (the first signature).
    package var signer: Signer
    /// Any number the signer picks to make otherwise identical bodies distinct.
    package var nonce: UInt64
    /// Last height at which it may be included.
    package var expiresAtHeight: UInt64
    /// What it does.
    package var operation: LedgerOperation

    /// SHA-256(domain "citychain/tx/v2" || canonical body): the same for every signature set.
    package var id: TransactionID {
        TransactionWork.idHashed()
        return TransactionID(LedgerDomain.hash(LedgerDomain.transactionID, canonicalBytes))
    }

    /// The bytes every signer signs: domain "citychain/tx-sig/v2" || canonical body (which holds the chain id).
    package var signingMessage: [UInt8] { LedgerDomain.message(LedgerDomain.transactionSignature, canonicalBytes) }

    package func encode(to w: inout CanonicalWriter) {
        w.string(chainID)
        w.encode(signer)
        w.u64(nonce)
        w.u64(expiresAtHeight)
        w.encode(operation)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        chainID = try IdentifierRules.readChainID(&r, field: "TransactionBody.chainID")
        signer = try Signer(from: &r)
        nonce = try r.u64("TransactionBody.nonce")
        expiresAtHeight = try r.u64("TransactionBody.expiresAtHeight")
        operation = try LedgerOperation(from: &r)
    }
}
