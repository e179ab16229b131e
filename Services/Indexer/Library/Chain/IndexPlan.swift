import CityChainAPI
import CityEncoding
import CityLedger
import CityMerkle

/// What one batch of verified blocks writes to PostgreSQL: the rows, computed without IO from the
/// blocks and the effects the ledger state returned for them (`LedgerApplier.apply`), the one
/// interpretation of their operations: record versions, datasets, grants and agencies come from
/// the effects, never from rows read back. A dataset's sensitivity (which payloads are queryable
/// JSON) comes from the state after the batch (a dataset's definition never changes).
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
        case grant(dataset: DatasetID, grantee: AgencyID, expiresAtHeight: UInt64, expiresAtMillis: UInt64, purpose: String, height: UInt64)
        case revoke(dataset: DatasetID, grantee: AgencyID, height: UInt64)
        /// `eraseRecord` at `height`: drop the payloads of the record's earlier versions.
        case erase(dataset: DatasetID, subject: SubjectKey, height: UInt64)
    }

    package var blocks: [BlockRow] = []
    package var transactions: [TransactionRow] = []
    package var changes: [Change] = []
    /// True when the batch registered an agency (its analyst role is then due).
    package var registersAgency = false
    /// True when the batch erases a record's payloads (caches of stored rows then go stale).
    package var erases: Bool { changes.contains { if case .erase = $0 { true } else { false } } }

    /// The plan for a batch applied to the ledger state.
    package init(_ applied: LedgerApplier.Applied) {
        self.init(applied.blocks, sensitivity: { applied.state.dataset($0)?.sensitivity })
    }

    /// The plan for `blocks` (consecutive, verified) and their outcomes (every one applied: a
    /// certified block holds no failing transaction), given the datasets' sensitivities.
    package init(_ applied: [(block: CertifiedBlock, outcomes: [TxOutcome])], sensitivity: (DatasetID) -> Sensitivity?) {
        for (cb, outcomes) in applied {
            let b = cb.block
            let h = b.header.height
            let encoded = b.transactions.map(\.canonicalBytes)
            var leaves = CanonicalWriter(capacity: 32 * encoded.count)
            for tx in b.transactions { leaves.encode(MerkleTree.leafHash(tx.leafBytes)) }
            var evidence = CanonicalWriter()
            evidence.array(b.evidence)
            blocks.append(BlockRow(height: h, hash: b.header.hash, previousHash: b.header.previousHash, timeMillis: b.header.timeMillis,
                                   transactionCount: b.transactions.count, header: b.header.canonicalBytes,
                                   certificate: cb.certificate.canonicalBytes, evidence: evidence.bytes, leafHashes: leaves.bytes))
            precondition(outcomes.count == b.transactions.count, "block \(h): \(outcomes.count) outcomes for \(b.transactions.count) transactions")
            for (i, tx) in b.transactions.enumerated() {
                guard case .success(let effect) = outcomes[i].result else { preconditionFailure("block \(h) holds a refused transaction") }
                var row = TransactionRow(id: tx.id, height: h, index: i, timeMillis: b.header.timeMillis, signer: tx.body.signer,
                                         operation: tx.body.operation.name, dataset: nil, subject: nil, version: nil, deleted: false,
                                         payloadHash: nil, json: nil, bytes: encoded[i])
                record(effect, of: tx, at: h, into: &row, sensitivity: sensitivity)
                transactions.append(row)
            }
        }
    }

    /// Fills `row` and the small tables' changes from one effect.
    private mutating func record(_ effect: TxEffect, of tx: SignedTransaction, at h: UInt64, into row: inout TransactionRow,
                                 sensitivity: (DatasetID) -> Sensitivity?) {
        switch effect {
        case let .recordPut(d, s, v):
            (row.dataset, row.subject, row.version) = (d, s, v)
            if case let .putRecord(_, _, hash) = tx.body.operation {
                row.payloadHash = hash
                if let payload = tx.payloadBytes, let level = sensitivity(d), level != .restricted, StrictJSON.isQueryable(payload) {
                    row.json = String(decoding: payload, as: UTF8.self)
                }
            }
        case let .recordDeleted(d, s, v):
            (row.dataset, row.subject, row.version, row.deleted) = (d, s, v, true)
        case let .recordErased(d, s, v):
            (row.dataset, row.subject, row.version, row.deleted) = (d, s, v, true)
            changes.append(.erase(dataset: d, subject: s, height: h))
        case .datasetDefined(let e):
            row.dataset = e.id
            changes.append(.dataset(id: e.id, owner: e.owner, sensitivity: e.sensitivity, schema: e.schema, writers: e.writers, height: h))
        case let .accessGranted(d, grantee, g):
            row.dataset = d
            changes.append(.grant(dataset: d, grantee: grantee, expiresAtHeight: g.expiresAtHeight, expiresAtMillis: g.expiresAtMillis,
                                  purpose: g.purpose, height: h))
        case let .accessRevoked(d, grantee):
            row.dataset = d
            changes.append(.revoke(dataset: d, grantee: grantee, height: h))
        case .agencyRegistered(let a):
            registersAgency = true
            changes.append(.agency(id: a.id, name: a.name, isAdmin: a.isAdmin, height: h))
        case let .recordKeysShared(d, _, _):
            row.dataset = d
        case .keyAdded, .keyRevoked, .validatorChangeScheduled, .auditAnchored, .certificateRevoked:
            break
        }
    }
}
