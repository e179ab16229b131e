import CityChainAPI
import CityEncoding
import CityLedger
import CityMerkle

/// A record's place: dataset and subject.
package struct RecordRef: Hashable, Sendable {
    package var dataset: DatasetID
    package var subject: SubjectKey
}

/// What one batch of verified blocks writes to PostgreSQL: the rows, computed without IO from the
/// blocks, the record versions before the batch and the datasets' sensitivities. Every transaction
/// in a certified block was valid when it committed (validators refuse proposals holding a failing
/// one), so each operation's effect follows from the transaction itself.
package struct IndexPlan: Sendable {
    package struct BlockRow: Sendable {
        package var height: UInt64
        package var hash: Hash32
        package var previousHash: Hash32
        package var timeMillis: UInt64
        package var transactionCount: Int
        package var header: [UInt8]
        package var certificate: [UInt8]
        package var evidence: [UInt8]
        package var leafHashes: [UInt8]
    }

    package struct TransactionRow: Sendable {
        package var id: TransactionID
        package var height: UInt64
        package var index: Int
        package var timeMillis: UInt64
        package var signer: Signer
        package var operation: String
        package var dataset: DatasetID?
        package var subject: SubjectKey?
        package var version: UInt64?
        package var deleted: Bool
        package var payloadHash: Hash32?
        /// The payload as text when it is a queryable JSON object or array of a public or internal dataset.
        package var json: String?
        package var bytes: [UInt8]
    }

    /// Changes to the small tables (datasets, agencies, grants), in chain order.
    package enum Change: Sendable {
        case dataset(id: DatasetID, owner: AgencyID, sensitivity: Sensitivity, schema: String, writers: [AgencyID], height: UInt64)
        case agency(id: AgencyID, name: String, isAdmin: Bool, height: UInt64)
        case grant(dataset: DatasetID, grantee: AgencyID, expiresAtHeight: UInt64, purpose: String, height: UInt64)
        case revoke(dataset: DatasetID, grantee: AgencyID, height: UInt64)
    }

    package var blocks: [BlockRow] = []
    package var transactions: [TransactionRow] = []
    package var changes: [Change] = []
    /// Datasets defined in this batch, with their sensitivity.
    package var newDatasets: [DatasetID: Sensitivity] = [:]

    /// The records the batch writes, whose earlier versions the planner needs.
    package static func touchedRecords(_ blocks: [CertifiedBlock]) -> Set<RecordRef> {
        var refs = Set<RecordRef>()
        for cb in blocks {
            for tx in cb.block.transactions {
                switch tx.body.operation {
                case let .putRecord(d, s, _, _), let .deleteRecord(d, s, _): refs.insert(RecordRef(dataset: d, subject: s))
                default: break
                }
            }
        }
        return refs
    }

    /// The plan for `blocks` (consecutive, verified), given each touched record's latest version
    /// before them (absent: never written) and the sensitivity of datasets defined earlier.
    package init(blocks certified: [CertifiedBlock], versions: [RecordRef: UInt64],
                 sensitivity: (DatasetID) -> Sensitivity?) {
        var versions = versions
        for cb in certified {
            let b = cb.block
            let h = b.header.height
            let encoded = b.transactions.map(\.canonicalBytes)
            var leaves = CanonicalWriter(capacity: 32 * encoded.count)
            for e in encoded { leaves.encode(MerkleTree.leafHash(e)) }
            var evidence = CanonicalWriter()
            evidence.array(b.evidence)
            blocks.append(BlockRow(height: h, hash: b.header.hash, previousHash: b.header.previousHash, timeMillis: b.header.timeMillis,
                                   transactionCount: b.transactions.count, header: b.header.canonicalBytes,
                                   certificate: cb.certificate.canonicalBytes, evidence: evidence.bytes, leafHashes: leaves.bytes))
            for (i, tx) in b.transactions.enumerated() {
                let body = tx.body
                var row = TransactionRow(id: tx.id, height: h, index: i, timeMillis: b.header.timeMillis, signer: body.signer,
                                         operation: body.operation.name, dataset: nil, subject: nil, version: nil, deleted: false,
                                         payloadHash: nil, json: nil, bytes: encoded[i])
                switch body.operation {
                case let .putRecord(d, s, payload, hash):
                    let ref = RecordRef(dataset: d, subject: s)
                    let v = (versions[ref] ?? 0) + 1
                    versions[ref] = v
                    (row.dataset, row.subject, row.version, row.payloadHash) = (d, s, v, hash)
                    let level = newDatasets[d] ?? sensitivity(d)
                    if level != .restricted, level != nil, StrictJSON.isQueryable(payload) {
                        row.json = String(decoding: payload, as: UTF8.self)
                    }
                case let .deleteRecord(d, s, _):
                    let ref = RecordRef(dataset: d, subject: s)
                    let v = (versions[ref] ?? 0) + 1
                    versions[ref] = v
                    (row.dataset, row.subject, row.version, row.deleted) = (d, s, v, true)
                case let .defineDataset(id, level, schema, writers):
                    row.dataset = id
                    newDatasets[id] = level
                    changes.append(.dataset(id: id, owner: body.signer.agency, sensitivity: level, schema: schema, writers: writers, height: h))
                case let .grantAccess(d, grantee, expires, purpose):
                    row.dataset = d
                    changes.append(.grant(dataset: d, grantee: grantee, expiresAtHeight: expires, purpose: purpose, height: h))
                case let .revokeAccess(d, grantee):
                    row.dataset = d
                    changes.append(.revoke(dataset: d, grantee: grantee, height: h))
                case let .registerAgency(id, name, isAdmin, _):
                    changes.append(.agency(id: id, name: name, isAdmin: isAdmin, height: h))
                case .addAgencyKey, .revokeAgencyKey, .changeValidatorSet, .anchorAuditBatch:
                    break
                }
                transactions.append(row)
            }
        }
    }
}
