import CityEncoding

/// Why a transaction (or, codes 31-38, an equivocation evidence item) was refused. `code` is
/// stable on the wire; `message` says what was wrong and what to do about it.
package enum Rejection: Error, Hashable, Sendable, CustomStringConvertible {
    /// The transaction does not decode canonically or breaks a structural rule.
    case malformed(String)
    /// The canonical transaction is larger than `maxTransactionBytes`.
    case tooLarge(bytes: Int, max: Int)
    /// The body names another chain.
    case wrongChain(expected: String, got: String)
    /// The expiry height has passed.
    case expired(expiresAtHeight: UInt64, height: UInt64)
    /// The expiry is further ahead than `maxTransactionLifetimeHeights`.
    case lifetimeTooLong(expiresAtHeight: UInt64, maxHeight: UInt64)
    /// This transaction id was already committed and has not expired.
    case replayed(TransactionID)
    /// The agency is not registered.
    case unknownAgency(AgencyID)
    /// The agency has no key with this id (or not of the needed kind).
    case unknownKey(Signer)
    /// The key was revoked.
    case revokedKey(Signer, revokedAtHeight: UInt64)
    /// A signature does not verify.
    case badSignature(Signer)
    /// The first signature is not by the body's signer, a signer signed twice, or co-signers sign a non-admin operation.
    case signerMismatch(String)
    /// An admin operation signed by a non-admin agency's key.
    case notAdmin(AgencyID)
    /// Fewer distinct admin agencies signed than the threshold.
    case adminQuorumNotMet(have: Int, need: Int)
    /// The dataset does not exist.
    case unknownDataset(DatasetID)
    /// A dataset with this id already exists.
    case datasetExists(DatasetID)
    /// The signer's agency may not write to the dataset.
    case notDatasetWriter(AgencyID, DatasetID)
    /// Only the dataset's owner may do this.
    case notDatasetOwner(AgencyID, DatasetID)
    /// `payloadHash` is not SHA-256 of the payload.
    case payloadHashMismatch(expected: Hash32, got: Hash32)
    /// A restricted dataset got a payload that is not a valid `SealedPayload` to registered keys.
    case payloadNotSealed(String)
    /// No live record with this subject.
    case recordNotFound(DatasetID, SubjectKey)
    /// No grant for this grantee.
    case grantNotFound(DatasetID, AgencyID)
    /// The grant's expiry is not after the current height.
    case grantExpiryInPast(expiresAtHeight: UInt64, height: UInt64)
    /// An agency with this id already exists.
    case agencyExists(AgencyID)
    /// The agency already has a key with this id.
    case keyExists(AgencyID, KeyID)
    /// The agency would hold more than `maxKeysPerAgency` keys.
    case tooManyKeys(AgencyID)
    /// The key is already revoked.
    case keyAlreadyRevoked(AgencyID, KeyID)
    /// The validator-set change is not acceptable.
    case invalidValidatorChange(String)
    /// The audit batch does not continue the agency's previous batch.
    case auditSequenceGap(expected: UInt64, got: UInt64)
    /// The audit batch's bounds or count are inconsistent.
    case invalidAuditBatch(String)
    /// A dataset's writer list names an unregistered agency.
    case unknownWriter(AgencyID)
    /// Equivocation evidence whose two items do not conflict (other signer, height, round or
    /// kind, the same block id) or are not in canonical order.
    case invalidEvidence(String)
    /// A signature in the evidence against this validator does not verify.
    case badEvidenceSignature(PublicKey)
    /// The evidence's offender is not in the current validator set.
    case evidenceOffenderNotValidator(PublicKey)
    /// The evidence is older than `maxEvidenceAgeHeights` before the block.
    case evidenceTooOld(height: UInt64, minHeight: UInt64)
    /// The evidence is for a height above the block's.
    case evidenceTooNew(height: UInt64, maxHeight: UInt64)
    /// This offence (`Equivocation.id`) is already recorded in the state.
    case evidenceAlreadyRecorded(Hash32, includedAtHeight: UInt64)
    /// A block lists this offence (`Equivocation.id`) twice.
    case duplicateEvidence(Hash32)
    /// A block holds more evidence than `maxEvidencePerBlock`.
    case tooMuchEvidence(count: Int, max: Int)
    /// The certificate with this fingerprint is already revoked.
    case certificateAlreadyRevoked(Hash32, atHeight: UInt64)
    /// The chain holds `LedgerLimits.maxRevokedCertificates` revocations already.
    case tooManyRevokedCertificates
    /// A `shareRecordKeys` share is not acceptable (dataset not restricted, grantee without a live
    /// grant, a key not the grantee's, a version that does not exist).
    case invalidKeyShare(String)
    /// A putRecord without its payload (erased, or never attached) outside a committed block.
    case payloadMissing(String)
    /// The record was erased and has no version since: there is nothing left to erase.
    case recordAlreadyErased(DatasetID, SubjectKey)

    /// Stable wire code.
    package var code: UInt16 {
        switch self {
        case .malformed: 1
        case .tooLarge: 2
        case .wrongChain: 3
        case .expired: 4
        case .lifetimeTooLong: 5
        case .replayed: 6
        case .unknownAgency: 7
        case .unknownKey: 8
        case .revokedKey: 9
        case .badSignature: 10
        case .signerMismatch: 11
        case .notAdmin: 12
        case .adminQuorumNotMet: 13
        case .unknownDataset: 14
        case .datasetExists: 15
        case .notDatasetWriter: 16
        case .notDatasetOwner: 17
        case .payloadHashMismatch: 18
        case .payloadNotSealed: 19
        case .recordNotFound: 20
        case .grantNotFound: 21
        case .grantExpiryInPast: 22
        case .agencyExists: 23
        case .keyExists: 24
        case .tooManyKeys: 25
        case .keyAlreadyRevoked: 26
        case .invalidValidatorChange: 27
        case .auditSequenceGap: 28
        case .invalidAuditBatch: 29
        case .unknownWriter: 30
        case .invalidEvidence: 31
        case .badEvidenceSignature: 32
        case .evidenceOffenderNotValidator: 33
        case .evidenceTooOld: 34
        case .evidenceTooNew: 35
        case .evidenceAlreadyRecorded: 36
        case .duplicateEvidence: 37
        case .tooMuchEvidence: 38
        case .certificateAlreadyRevoked: 39
        case .tooManyRevokedCertificates: 40
        case .invalidKeyShare: 41
        case .payloadMissing: 42
        case .recordAlreadyErased: 43
        }
    }

    package var description: String { "rejected (\(code)): \(message)" }
}
