import CityChainAPI
import CityLedger
import PostgresNIO

extension IndexStore {
    /// Record changes of `datasets` (optionally of one subject, matching every predicate) strictly
    /// after `after` and at or below `maxHeight`, in chain order: one page of a feed.
    package func feedChanges(_ q: FeedRequest, after: ChainCursor, maxHeight: UInt64, limit: Int) async throws -> [StoredTransaction] {
        var binds = PostgresBindings()
        var text = """
            SELECT tx, height, idx, dataset, subject FROM citychain.transactions
            WHERE dataset = ANY($1::text[]) AND version IS NOT NULL AND (height, idx) > ($2, $3) AND height <= $4
            """
        binds.append(q.datasets.map(\.value))
        binds.append(Int64(after.height))
        binds.append(Int32(clamping: after.index))
        binds.append(Int64(maxHeight))
        if let s = q.subject {
            text += " AND subject = $\(binds.count + 1)"
            binds.append(s.value)
        }
        text += Self.predicateSQL(q.predicates, binds: &binds)
        text += " ORDER BY height, idx LIMIT $\(binds.count + 1)"
        binds.append(limit)
        return try await feedRows(PostgresQuery(unsafeSQL: text, binds: binds))
    }

    private func feedRows(_ query: PostgresQuery) async throws -> [StoredTransaction] {
        var out: [StoredTransaction] = []
        let rows = try await client.query(query, logger: logger)
        for try await (tx, h, i, d, s) in rows.decode((ByteBuffer, Int64, Int32, String?, String?).self) {
            out.append(StoredTransaction(bytes: Array(buffer: tx), height: UInt64(h), index: Int(i),
                                         dataset: try d.map { try DatasetID($0) }, subject: try s.map { try SubjectKey($0) }))
        }
        return out
    }
}
