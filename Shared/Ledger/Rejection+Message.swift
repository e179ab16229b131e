extension Rejection {
    /// What was wrong and what to do, for the submitter.
    package var message: String {
        switch self {
        case .malformed(let d): "malformed transaction: \(d); fix the encoding and sign again"
        case let .tooLarge(b, m): "transaction is \(b) bytes, over the limit of \(m); send a smaller payload"
        case let .wrongChain(e, g): "transaction is for chain \"\(g)\" but this is \"\(e)\"; sign it for \"\(e)\""
        case let .expired(e, h): "transaction expired at height \(e) and the chain is at \(h); sign it again with a later expiry"
        case let .lifetimeTooLong(e, m): "expiry \(e) is beyond the maximum \(m); pick an expiry at most \(LedgerLimits.maxTransactionLifetimeHeights) heights ahead"
        case .replayed(let id): "transaction \(id) was already committed; fetch its receipt instead of resubmitting"
        case .unknownAgency(let a): "agency \(a) is not registered; ask the admins to register it"
        case .unknownKey(let s): "\(s) is not a registered signing key; register the key or sign with another"
        case let .revokedKey(s, h): "key \(s) was revoked at height \(h); sign with an active key"
        case .badSignature(let s): "signature by \(s) does not verify; sign the exact body bytes for this chain again"
        case .signerMismatch(let d): "signatures do not match the body: \(d)"
        case .notAdmin(let a): "agency \(a) is not an admin; admin operations need admin signatures"
        case let .adminQuorumNotMet(have, need): "\(have) distinct admin agencies signed but \(need) are needed; collect more admin co-signatures"
        case .unknownDataset(let d): "dataset \(d) does not exist; define it first"
        case .datasetExists(let d): "dataset \(d) already exists; pick another id"
        case let .notDatasetWriter(a, d): "agency \(a) is not a writer of dataset \(d); ask its owner to add it"
        case let .notDatasetOwner(a, d): "agency \(a) does not own dataset \(d); only the owner may do this"
        case let .payloadHashMismatch(e, g): "payloadHash is \(g) but SHA-256 of the payload is \(e); hash the exact payload bytes"
        case .payloadNotSealed(let d): "restricted dataset needs a sealed payload: \(d); seal it with SealedPayload.seal to registered keys"
        case let .recordNotFound(d, s): "no live record \(s) in dataset \(d); check the subject key"
        case let .grantNotFound(d, a): "agency \(a) has no grant on dataset \(d); nothing to revoke"
        case let .grantExpiryInPast(e, h): "grant expiry \(e) is not after the current height \(h); pick a later height"
        case .agencyExists(let a): "agency \(a) is already registered; add keys with addAgencyKey instead"
        case let .keyExists(a, k): "agency \(a) already has key \(k); use a new key id"
        case .tooManyKeys(let a): "agency \(a) would hold more than \(LedgerLimits.maxKeysPerAgency) keys; keys are never deleted, so plan key ids"
        case let .keyAlreadyRevoked(a, k): "key \(k) of \(a) is already revoked; nothing to do"
        case .invalidValidatorChange(let d): "validator change refused: \(d)"
        case let .auditSequenceGap(e, g): "audit batch starts at \(g) but the next expected sequence is \(e); anchor the missing range first"
        case .invalidAuditBatch(let d): "audit batch refused: \(d)"
        case .unknownWriter(let a): "writer \(a) is not a registered agency; register it first or remove it from writers"
        }
    }
}
