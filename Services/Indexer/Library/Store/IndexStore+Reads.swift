import Foundation
import CityChainAPI
import CityEncoding
import CityLedger
import CityMerkle
import NIOCore
import PostgresNIO

/// A committed transaction as stored: its bytes and place.
package struct StoredTransaction: Sendable {
    package var bytes: [UInt8]
    package var height: UInt64
    package var index: Int
    package var dataset: DatasetID?
    package var subject: SubjectKey?
}

extension IndexStore {
    /// Certified blocks `from...to` rebuilt from the index (header, certificate, evidence, transactions in order).
    package func certifiedBlocks(from: UInt64, to: UInt64) async throws -> [CertifiedBlock] {
        guard from <= to else { return [] }
        var blocks: [(BlockHeader, CommitCertificate, [Equivocation])] = []
        let rows = try await client.query("""
            SELECT header, certificate, evidence FROM citychain.blocks WHERE height BETWEEN \(Int64(from)) AND \(Int64(to)) ORDER BY height
            """, logger: logger)
        for try await (h, c, e) in rows.decode((ByteBuffer, ByteBuffer, ByteBuffer).self) {
            var r = CanonicalReader(Array(buffer: e))
            let evidence: [Equivocation]
            do {
                evidence = try r.array(max: LedgerLimits.maxEvidencePerBlock, "evidence")
                try r.finish("evidence")
            } catch { throw IndexerError(.database, "stored evidence does not decode (\(error)); reindex") }
            blocks.append((try Self.decode(h, "header"), try Self.decode(c, "certificate"), evidence))
        }
        var txs: [UInt64: [SignedTransaction]] = [:]
        let txRows = try await client.query("""
            SELECT height, tx FROM citychain.transactions WHERE height BETWEEN \(Int64(from)) AND \(Int64(to)) ORDER BY height, idx
            """, logger: logger)
        for try await (h, tx) in txRows.decode((Int64, ByteBuffer).self) {
            txs[UInt64(h), default: []].append(try Self.decode(tx, "transaction"))
        }
        return blocks.map { header, certificate, evidence in
            CertifiedBlock(block: Block(header: header, transactions: txs[header.height] ?? [], evidence: evidence), certificate: certificate)
        }
    }

    /// The certified header at `height`, or nil when not indexed.
    package func certifiedHeader(at height: UInt64) async throws -> CertifiedHeader? {
        try await proofMaterial(heights: [height])[height].map(\.header)
    }

    /// What proving a transaction of one block needs: its certified header and every subtree root
    /// of its transactions (`MerkleSubtrees`), made once per block and kept in `proofCache`.
    struct ProofMaterial: Sendable {
        var header: CertifiedHeader
        var subtrees: MerkleSubtrees
    }

    /// Headers, certificates and transaction trees of the blocks at `heights`: from the cache, the
    /// rest in one query (and cached).
    func proofMaterial(heights: Set<UInt64>) async throws -> [UInt64: ProofMaterial] {
        guard !heights.isEmpty else { return [:] }
        var out = proofCache.get(heights)
        let missing = heights.subtracting(out.keys)
        guard !missing.isEmpty else { return out }
        let fetched = try await reading(atLeast: missing.max() ?? 0) { db in
            let rows = try await db.query("""
                SELECT height, header, certificate, leaf_hashes FROM citychain.blocks WHERE height = ANY(\(missing.map { Int64($0) }))
                """, logger: self.logger)
            var fetched: [UInt64: ProofMaterial] = [:]
            for try await (h, header, cert, leaves) in rows.decode((Int64, ByteBuffer, ByteBuffer, ByteBuffer).self) {
                guard let hashes = Hash32.list(concatenated: Array(buffer: leaves)) else {
                    throw IndexerError(.database, "stored leaf hashes of block \(h) are damaged; reindex")
                }
                fetched[UInt64(h)] = ProofMaterial(header: CertifiedHeader(header: try Self.decode(header, "header"),
                                                                           certificate: try Self.decode(cert, "certificate")),
                                                   subtrees: MerkleSubtrees(leafHashes: hashes))
            }
            return fetched
        }
        proofCache.put(fetched.lazy.map { ($0.key, $0.value) })
        out.merge(fetched) { a, _ in a }
        return out
    }

    /// `rows` with their inclusion proofs and certified headers, in the order given.
    func prove(_ rows: [StoredTransaction]) async throws -> [ProvenTransaction] {
        let material = try await proofMaterial(heights: Set(rows.map(\.height)))
        return try rows.map { row in
            guard let m = material[row.height], row.index >= 0, row.index < m.subtrees.leafCount else {
                throw IndexerError(.database, "transaction at \(row.height).\(row.index) has no block in the index; reindex")
            }
            return ProvenTransaction(transaction: try Self.decode(ByteBuffer(bytes: row.bytes), "transaction"),
                                     proof: m.subtrees.proof(index: row.index), header: m.header)
        }
    }

    /// The rows of `sql`, read at or above index height `height` (a replica's or the primary's).
    private func storedRows(atLeast height: UInt64, _ sql: PostgresQuery) async throws -> [StoredTransaction] {
        try await reading(atLeast: height) { db in try await self.storedRows(try await db.query(sql, logger: self.logger)) }
    }

    private func storedRows(_ rows: PostgresRowSequence) async throws -> [StoredTransaction] {
        var out: [StoredTransaction] = []
        for try await (tx, h, i, d, s) in rows.decode((ByteBuffer, Int64, Int32, String?, String?).self) {
            out.append(StoredTransaction(bytes: Array(buffer: tx), height: UInt64(h), index: Int(i),
                                         dataset: try d.map { try DatasetID($0) }, subject: try s.map { try SubjectKey($0) }))
        }
        return out
    }

    /// Remembers the transactions of a batch PostgreSQL committed (`recentTransactions`).
    package func rememberWritten(_ plan: IndexPlan) {
        recentTransactions.put(plan.transactions.lazy.map { row in
            (row.id, StoredTransaction(bytes: row.bytes, height: row.height, index: row.index, dataset: row.dataset, subject: row.subject))
        })
    }

    /// Transaction `id` if indexed at or below `maxHeight` (recently written ones without SQL).
    package func transaction(_ id: TransactionID, maxHeight: UInt64) async throws -> StoredTransaction? {
        if let recent = recentTransactions.get(id) { return recent.height <= maxHeight ? recent : nil }
        return try await storedRows(atLeast: maxHeight, """
            SELECT tx, height, idx, dataset, subject FROM citychain.transactions WHERE id = \(Self.buffer(id.hash.bytes))
              AND height <= \(Int64(maxHeight))
            """).first
    }

    /// Versions of a record after `afterVersion`, oldest first, at or below `maxHeight` (one more than `limit` tells there is more).
    package func history(dataset: DatasetID, subject: SubjectKey, afterVersion: UInt64, maxHeight: UInt64, limit: Int) async throws -> [StoredTransaction] {
        try await storedRows(atLeast: maxHeight, """
            SELECT tx, height, idx, dataset, subject FROM citychain.transactions
            WHERE dataset = \(dataset.value) AND subject = \(subject.value) AND version IS NOT NULL
              AND version > \(Int64(clamping: afterVersion)) AND height <= \(Int64(maxHeight))
            ORDER BY version LIMIT \(limit)
            """)
    }

    /// `shareRecordKeys` transactions of `dataset` to `grantee` after `after`, in chain order, at or
    /// below `maxHeight`, at most `limit`. The grantee is inside the transaction, so rows are read
    /// in pages (partial index `transactions_key_shares`) and the others dropped here.
    package func keyShares(dataset: DatasetID, grantee: AgencyID, after: ChainCursor, maxHeight: UInt64, limit: Int) async throws -> [StoredTransaction] {
        var out: [StoredTransaction] = []
        var cursor = after
        let page = 256
        while out.count < limit {
            let rows = try await storedRows(atLeast: maxHeight, """
                SELECT tx, height, idx, dataset, subject FROM citychain.transactions
                WHERE dataset = \(dataset.value) AND operation = 'shareRecordKeys'
                  AND (height, idx) > (\(Int64(cursor.height)), \(Int32(clamping: cursor.index))) AND height <= \(Int64(maxHeight))
                ORDER BY height, idx LIMIT \(page)
                """)
            for row in rows {
                let tx = try Self.decode(ByteBuffer(bytes: row.bytes), "transaction") as SignedTransaction
                if case let .shareRecordKeys(_, g, _) = tx.body.operation, g == grantee { out.append(row) }
                if out.count == limit { break }
            }
            guard let last = rows.last, rows.count == page else { break }
            cursor = ChainCursor(height: last.height, index: UInt32(last.index))
        }
        return out
    }

    /// Record changes of a dataset matching `q`, in chain order, at or below `maxHeight`.
    package func changes(_ q: DatasetQuery, maxHeight: UInt64, limit: Int) async throws -> [StoredTransaction] {
        var sql = PostgresQuery(unsafeSQL: "")
        var binds = PostgresBindings()
        var text = """
            SELECT tx, height, idx, dataset, subject FROM citychain.transactions
            WHERE dataset = $1 AND version IS NOT NULL AND (height, idx) > ($2, $3) AND height <= $4 AND time_ms >= $5
            """
        binds.append(q.dataset.value)
        binds.append(Int64(q.after.height))
        binds.append(Int32(clamping: q.after.index))
        binds.append(Int64(maxHeight))
        binds.append(Int64(clamping: q.fromTimeMillis))
        func next() -> String { "$\(binds.count + 1)" }
        if q.toTimeMillis > 0 {
            text += " AND time_ms < \(next())"
            binds.append(Int64(clamping: q.toTimeMillis))
        }
        if let w = q.writer {
            text += " AND signer_agency = \(next())"
            binds.append(w.value)
        }
        text += Self.predicateSQL(q.predicates, binds: &binds)
        text += " ORDER BY height, idx LIMIT \(next())"
        binds.append(limit)
        sql = PostgresQuery(unsafeSQL: text, binds: binds)
        return try await storedRows(atLeast: maxHeight, sql)
    }

    /// ` AND …` conditions for `predicates` on `payload_json`, their values appended to `binds`.
    static func predicateSQL(_ predicates: [FieldPredicate], binds: inout PostgresBindings) -> String {
        var text = ""
        func next() -> String { "$\(binds.count + 1)" }
        for p in predicates {
            let path = next()
            binds.append(p.path)
            switch p.op {
            case .exists:
                text += " AND payload_json #> \(path)::text[] IS NOT NULL"
            case .equal:
                // Containment uses the GIN index: {"a":{"b":value}} for path a.b.
                text += " AND payload_json @> \(next())::jsonb"
                binds.append(Self.containment(path: p.path, value: p.value))
            default:
                let value = next()
                binds.append(p.value)
                let op = switch p.op {
                case .notEqual: "<>"
                case .less: "<"
                case .lessOrEqual: "<="
                case .greater: ">"
                default: ">="
                }
                text += " AND jsonb_typeof(payload_json #> \(path)::text[]) = jsonb_typeof(\(value)::jsonb)"
                text += " AND (payload_json #> \(path)::text[]) \(op) \(value)::jsonb"
            }
        }
        return text
    }

    /// `{"a":{"b":VALUE}}` for path `a.b` (the names escaped as JSON strings; VALUE already checked JSON).
    static func containment(path: [String], value: String) -> String {
        var out = value
        for name in path.reversed() { out = "{" + jsonString(name) + ":" + out + "}" }
        return out
    }

    static func jsonString(_ s: String) -> String { JSONString.quote(s) }

    /// The `changeValidatorSet` transactions in blocks `afterHeight+1...maxHeight`, in chain order (at most `limit`).
    package func validatorChanges(afterHeight: UInt64, maxHeight: UInt64, limit: Int) async throws -> [StoredTransaction] {
        try await storedRows(atLeast: maxHeight, """
            SELECT tx, height, idx, dataset, subject FROM citychain.transactions
            WHERE operation = 'changeValidatorSet' AND height > \(Int64(clamping: afterHeight)) AND height <= \(Int64(clamping: maxHeight))
            ORDER BY height, idx LIMIT \(limit)
            """)
    }

    /// The ids of the agencies registered at or below `maxHeight` (genesis ones included).
    package func agencyIDs(maxHeight: UInt64) async throws -> [AgencyID] {
        try await reading(atLeast: maxHeight) { db in
            let rows = try await db.query("SELECT id FROM citychain.agencies WHERE registered_height <= \(Int64(maxHeight))", logger: self.logger)
            var ids: [AgencyID] = []
            for try await id in rows.decode(String.self) {
                do { ids.append(try AgencyID(id)) } catch { throw IndexerError(.database, "stored agency id '\(id)' is not valid (\(error)); reindex") }
            }
            return ids
        }
    }

    /// The datasets defined at or below `maxHeight`, and the (dataset, grantee) pairs of grants that
    /// concern `agency` (held by it, or on a dataset it owns) and are not revoked: the candidates of
    /// an `AccessAnswer`, whose entries the proven state then proves (or leaves out).
    package func accessCandidates(agency: AgencyID, maxHeight: UInt64) async throws -> (datasets: [DatasetID], grants: [(DatasetID, AgencyID)]) {
        try await reading(atLeast: maxHeight) { db in
            var datasets: [DatasetID] = []
            let h = Int64(clamping: maxHeight)
            for try await id in try await db.query("SELECT id FROM citychain.datasets WHERE created_height <= \(h) ORDER BY id LIMIT \(IndexerAPI.maxAccessEntries + 1)",
                                                  logger: self.logger).decode(String.self) {
                do { datasets.append(try DatasetID(id)) } catch { throw IndexerError(.database, "stored dataset id '\(id)' is not valid (\(error)); reindex") }
            }
            var grants: [(DatasetID, AgencyID)] = []
            let rows = try await db.query("""
                SELECT g.dataset, g.grantee FROM citychain.grants g JOIN citychain.datasets d ON d.id = g.dataset
                WHERE g.revoked_height IS NULL AND g.granted_height <= \(h) AND (g.grantee = \(agency.value) OR d.owner = \(agency.value))
                ORDER BY g.dataset, g.grantee LIMIT \(IndexerAPI.maxAccessEntries + 1)
                """, logger: self.logger)
            for try await (d, g) in rows.decode((String, String).self) {
                do { grants.append((try DatasetID(d), try AgencyID(g))) } catch {
                    throw IndexerError(.database, "stored grant '\(d)'/'\(g)' has an invalid id (\(error)); reindex")
                }
            }
            return (datasets, grants)
        }
    }

    /// The transactions of block `height` with the dataset each touches, and its certified header.
    package func blockContents(height: UInt64) async throws -> (CertifiedHeader, [StoredTransaction])? {
        guard let header = try await certifiedHeader(at: height) else { return nil }
        let rows = try await storedRows(atLeast: height, """
            SELECT tx, height, idx, dataset, subject FROM citychain.transactions WHERE height = \(Int64(height)) ORDER BY idx
            """)
        return (header, rows)
    }
}
