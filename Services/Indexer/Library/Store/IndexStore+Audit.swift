import CityChainAPI
import CityEncoding
import CityLedger
import NIOCore
import PostgresNIO

/// The audit trail: disclosure records, written before the answer they record leaves, and their
/// anchoring on chain. The only table the chain cannot rebuild: back it up with the database.
extension IndexStore {
    /// Records that `reader` read `subjects` of `dataset` (one record each; `nil` for a dataset-wide read).
    package func recordDisclosures(reader: AgencyID, dataset: DatasetID, subjects: [SubjectKey?], purpose: String, kind: UInt16,
                                   height: UInt64, timeMillis: UInt64) async throws {
        guard !subjects.isEmpty else { return }
        // Subject keys are never empty, so '' stands for "no subject" in the array.
        try await client.query("""
            INSERT INTO citychain.disclosures (reader, dataset, subject, time_ms, purpose, query_kind, height)
            SELECT \(reader.value), \(dataset.value), NULLIF(s, ''), \(Int64(clamping: timeMillis)), \(purpose), \(Int32(kind)), \(Int64(height))
            FROM unnest(\(subjects.map { $0?.value ?? "" })::text[]) WITH ORDINALITY AS u(s, o) ORDER BY o
            """, logger: logger)
    }

    private func disclosureRows(_ rows: PostgresRowSequence) async throws -> [(DisclosureRecord, UInt64?)] {
        var out: [(DisclosureRecord, UInt64?)] = []
        for try await (seq, reader, dataset, subject, time, purpose, kind, height, anchor)
            in rows.decode((Int64, String, String, String?, Int64, String, Int32, Int64, Int64?).self) {
            out.append((DisclosureRecord(sequence: UInt64(seq), reader: try AgencyID(reader), dataset: try DatasetID(dataset),
                                         subject: try subject.map { try SubjectKey($0) }, timeMillis: UInt64(time), purpose: purpose,
                                         queryKind: UInt16(truncatingIfNeeded: kind), height: UInt64(height)),
                        anchor.map { UInt64($0) }))
        }
        return out
    }

    private static let columns = "sequence, reader, dataset, subject, time_ms, purpose, query_kind, height, anchor_first"

    /// Disclosure records of one subject after `after`, in sequence order, with the first sequence
    /// of the anchored batch each is in.
    package func disclosures(dataset: DatasetID, subject: SubjectKey, after: UInt64, limit: Int) async throws -> [(DisclosureRecord, UInt64?)] {
        try await disclosureRows(try await client.query(PostgresQuery(unsafeSQL: """
            SELECT \(Self.columns) FROM citychain.disclosures
            WHERE dataset = $1 AND subject = $2 AND sequence > $3 ORDER BY sequence LIMIT $4
            """, binds: try Self.binds(dataset.value, subject.value, Int64(clamping: after), limit)), logger: logger))
    }

    /// The records of the anchored batch that starts at `first`, in sequence order.
    package func anchoredBatch(first: UInt64) async throws -> [DisclosureRecord] {
        try await disclosureRows(try await client.query(PostgresQuery(unsafeSQL: """
            SELECT \(Self.columns) FROM citychain.disclosures WHERE anchor_first = $1 ORDER BY sequence
            """, binds: try Self.binds(Int64(clamping: first))), logger: logger)).map(\.0)
    }

    /// Records not yet anchored with sequence ≥ `from`, older than `before` (ms), oldest first.
    package func unanchored(from: UInt64, before: UInt64, limit: Int) async throws -> [DisclosureRecord] {
        try await disclosureRows(try await client.query(PostgresQuery(unsafeSQL: """
            SELECT \(Self.columns) FROM citychain.disclosures
            WHERE anchor_first IS NULL AND sequence >= $1 AND time_ms < $2 ORDER BY sequence LIMIT $3
            """, binds: try Self.binds(Int64(clamping: from), Int64(clamping: before), limit)), logger: logger)).map(\.0)
    }

    /// Highest sequence already marked anchored (0 when none).
    package func lastAnchoredSequence() async throws -> UInt64 {
        let rows = try await client.query("SELECT coalesce(max(sequence), 0) FROM citychain.disclosures WHERE anchor_first IS NOT NULL",
                                          logger: logger)
        for try await v in rows.decode(Int64.self) { return UInt64(v) }
        return 0
    }

    /// Marks `sequences` as the batch anchored at `first` by `transaction` at `height`.
    package func markAnchored(_ sequences: [UInt64], first: UInt64, transaction: TransactionID, height: UInt64) async throws {
        try await client.query("""
            UPDATE citychain.disclosures SET anchor_first = \(Int64(clamping: first)), anchor_tx = \(Self.buffer(transaction.hash.bytes)),
                   anchor_height = \(Int64(height))
            WHERE sequence = ANY(\(sequences.map { Int64(clamping: $0) })) AND anchor_first IS NULL
            """, logger: logger)
    }

    /// Unanchored records with sequence in `first...last` (after a crash between commit and marking).
    package func unanchored(first: UInt64, last: UInt64) async throws -> [DisclosureRecord] {
        try await disclosureRows(try await client.query(PostgresQuery(unsafeSQL: """
            SELECT \(Self.columns) FROM citychain.disclosures
            WHERE anchor_first IS NULL AND sequence BETWEEN $1 AND $2 ORDER BY sequence
            """, binds: try Self.binds(Int64(clamping: first), Int64(clamping: last))), logger: logger)).map(\.0)
    }

    static func binds(_ values: any PostgresEncodable & Sendable...) throws -> PostgresBindings {
        var b = PostgresBindings()
        for v in values { try b.append(v, context: .default) }
        return b
    }
}
