import CityEncoding

extension LedgerOperation: CanonicalCodable {
    package func encode(to w: inout CanonicalWriter) {
        w.u8(tag)
        switch self {
        case let .defineDataset(id, sensitivity, schema, writers):
            w.encode(id); w.encode(sensitivity); w.string(schema); w.array(writers)
        case let .putRecord(dataset, subject, payloadHash):
            w.encode(dataset); w.encode(subject); w.encode(payloadHash)
        case let .deleteRecord(dataset, subject, reason):
            w.encode(dataset); w.encode(subject); w.string(reason)
        case let .grantAccess(dataset, grantee, expiresAtHeight, expiresAtMillis, purpose):
            w.encode(dataset); w.encode(grantee); w.u64(expiresAtHeight); w.u64(expiresAtMillis); w.string(purpose)
        case let .revokeAccess(dataset, grantee):
            w.encode(dataset); w.encode(grantee)
        case let .registerAgency(id, name, isAdmin, keys):
            w.encode(id); w.string(name); w.bool(isAdmin); w.array(keys)
        case let .addAgencyKey(agency, key):
            w.encode(agency); w.encode(key)
        case let .revokeAgencyKey(agency, keyID):
            w.encode(agency); w.encode(keyID)
        case let .changeValidatorSet(changes):
            w.array(changes)
        case let .anchorAuditBatch(first, last, count, root):
            w.u64(first); w.u64(last); w.u64(count); w.encode(root)
        case let .revokeCertificate(fingerprint, reason):
            w.encode(fingerprint); w.string(reason)
        case let .shareRecordKeys(dataset, grantee, shares):
            w.encode(dataset); w.encode(grantee); w.array(shares)
        case let .eraseRecord(dataset, subject, reason):
            w.encode(dataset); w.encode(subject); w.string(reason)
        }
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let tag = try r.u8("LedgerOperation.tag")
        switch tag {
        case 1:
            let id = try DatasetID(from: &r)
            let sensitivity = try Sensitivity(from: &r)
            let schema = try r.string(max: LedgerLimits.maxSchemaBytes, "defineDataset.schema")
            let writers: [AgencyID] = try r.array(max: LedgerLimits.maxWritersPerDataset, "defineDataset.writers")
            try Self.requireIncreasing(writers, "defineDataset.writers")
            self = .defineDataset(id: id, sensitivity: sensitivity, schema: schema, writers: writers)
        case 2:
            self = .putRecord(dataset: try DatasetID(from: &r), subject: try SubjectKey(from: &r), payloadHash: try Hash32(from: &r))
        case 3:
            self = .deleteRecord(dataset: try DatasetID(from: &r), subject: try SubjectKey(from: &r),
                                 reason: try r.string(max: LedgerLimits.maxReasonBytes, "deleteRecord.reason"))
        case 4:
            self = .grantAccess(dataset: try DatasetID(from: &r), grantee: try AgencyID(from: &r),
                                expiresAtHeight: try r.u64("grantAccess.expiresAtHeight"),
                                expiresAtMillis: try r.u64("grantAccess.expiresAtMillis"),
                                purpose: try r.string(max: LedgerLimits.maxReasonBytes, "grantAccess.purpose"))
        case 5:
            self = .revokeAccess(dataset: try DatasetID(from: &r), grantee: try AgencyID(from: &r))
        case 6:
            self = try Self.decodeRegisterAgency(&r)
        case 7:
            self = .addAgencyKey(agency: try AgencyID(from: &r), key: try AgencyKey(from: &r))
        case 8:
            self = .revokeAgencyKey(agency: try AgencyID(from: &r), keyID: try KeyID(from: &r))
        case 9:
            let changes: [ValidatorChange] = try r.array(max: LedgerLimits.maxValidatorChanges, "changeValidatorSet.changes")
            try Self.requireIncreasing(changes.map(\.publicKey), "changeValidatorSet.changes")
            self = .changeValidatorSet(changes: changes)
        case 10:
            self = .anchorAuditBatch(firstSequence: try r.u64("anchorAuditBatch.firstSequence"),
                                     lastSequence: try r.u64("anchorAuditBatch.lastSequence"),
                                     recordCount: try r.u64("anchorAuditBatch.recordCount"),
                                     merkleRoot: try Hash32(from: &r))
        case 11:
            self = .revokeCertificate(fingerprint: try Hash32(from: &r),
                                      reason: try r.string(max: LedgerLimits.maxReasonBytes, "revokeCertificate.reason"))
        case 12:
            let dataset = try DatasetID(from: &r)
            let grantee = try AgencyID(from: &r)
            let shares: [RecordKeyShare] = try r.array(max: LedgerLimits.maxKeySharesPerTransaction, "shareRecordKeys.shares")
            guard !shares.isEmpty else {
                throw CodecError(.invalidValue, field: "shareRecordKeys.shares", "no shares; list at least one record key")
            }
            try Self.requireIncreasing(shares.map(\.order), "shareRecordKeys.shares")
            self = .shareRecordKeys(dataset: dataset, grantee: grantee, shares: shares)
        case 13:
            self = .eraseRecord(dataset: try DatasetID(from: &r), subject: try SubjectKey(from: &r),
                                reason: try r.string(max: LedgerLimits.maxReasonBytes, "eraseRecord.reason"))
        default:
            throw .unknownTag("LedgerOperation.tag", tag)
        }
    }

    private static func decodeRegisterAgency(_ r: inout CanonicalReader) throws(CodecError) -> LedgerOperation {
        let id = try AgencyID(from: &r)
        let name = try r.string(max: LedgerLimits.maxNameBytes, "registerAgency.name")
        let isAdmin = try r.bool("registerAgency.isAdmin")
        let keys: [AgencyKey] = try r.array(max: LedgerLimits.maxKeysPerAgency, "registerAgency.keys")
        try requireIncreasing(keys.map(\.keyID), "registerAgency.keys")
        return .registerAgency(id: id, name: name, isAdmin: isAdmin, keys: keys)
    }

    /// Throws `.nonCanonical` unless `items` is strictly increasing (sorted, no duplicates).
    static func requireIncreasing<T: Comparable>(_ items: [T], _ field: String) throws(CodecError) {
        for i in items.indices.dropFirst() where !(items[i - 1] < items[i]) {
            throw CodecError(.nonCanonical, field: field,
                             "entry \(i) is not greater than entry \(i - 1); sort the list and remove duplicates")
        }
    }
}
