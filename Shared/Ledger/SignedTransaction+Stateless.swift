import CityEncoding

extension SignedTransaction {
    /// Checks what needs no state (for gateways and mempools): size, canonical form and
    /// identifier rules, chain, signature count and order, and the payload hash. A putRecord must
    /// carry its payload, unless `erasedPayloadAllowed` (a committed block, whose record was
    /// erased since). Signatures are verified against registered keys by `LedgerState.validate`.
    package func checkStateless(chainID: String, erasedPayloadAllowed: Bool = false) throws(Rejection) {
        let bytes = canonicalBytes
        guard bytes.count <= LedgerLimits.maxTransactionBytes else {
            throw .tooLarge(bytes: bytes.count, max: LedgerLimits.maxTransactionBytes)
        }
        // Re-decoding applies every decoder rule (identifiers, limits, sorted lists) to values built
        // in memory; a transaction that came from the decoder unchanged passed them already.
        if !decoded {
            do { _ = try SignedTransaction(canonicalBytes: bytes) } catch { throw .malformed(error.description) }
        }
        guard body.chainID == chainID else { throw .wrongChain(expected: chainID, got: body.chainID) }
        guard signatures.first?.signer == body.signer else {
            throw .signerMismatch("the first signature must be by the body's signer \(body.signer)")
        }
        if signatures.count > 1 && !body.operation.requiresAdmin {
            throw .signerMismatch("\(body.operation.name) takes one signature; co-signatures are for admin operations only")
        }
        guard Set(signatures.map(\.signer.agency)).count == signatures.count else {
            throw .signerMismatch("an agency signed twice; each agency signs once")
        }
        if case let .putRecord(_, _, payloadHash) = body.operation {
            switch payload {
            case .present(let bytes):
                let actual = Hash32.sha256(bytes)
                guard actual == payloadHash else { throw .payloadHashMismatch(expected: actual, got: payloadHash) }
            case .erased where erasedPayloadAllowed:
                break
            case .erased, nil:
                throw .payloadMissing("putRecord carries no payload (an erased one is only found in committed blocks); send the payload whose SHA-256 is payloadHash \(payloadHash)")
            }
        }
    }
}
