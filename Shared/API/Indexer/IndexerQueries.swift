import CityEncoding
import CityLedger

/// Reads of internal and restricted data state why (the audit trail records it).
private func readPurpose(_ r: inout CanonicalReader, _ field: String) throws(CodecError) -> String {
    try r.string(max: IndexerAPI.maxPurposeBytes, field)
}

private func readLimit(_ r: inout CanonicalReader, _ field: String) throws(CodecError) -> UInt32 {
    let limit = try r.u32(field)
    guard (1...IndexerAPI.maxItemsPerAnswer).contains(limit) else {
        throw CodecError(.invalidValue, field: field, "\(limit) is not in 1...\(IndexerAPI.maxItemsPerAnswer)")
    }
    return limit
}

/// The current value of one record.
///
/// Encoding: DatasetID, SubjectKey, string purpose (≤ 256 bytes; required for internal and restricted datasets).
@MemberwiseInit
package struct RecordQuery: Hashable, Sendable, CanonicalCodable {
    package var dataset: DatasetID
    package var subject: SubjectKey
    package var purpose: String = ""

    package func encode(to w: inout CanonicalWriter) { w.encode(dataset); w.encode(subject); w.string(purpose) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        dataset = try r.decode()
        subject = try r.decode()
        purpose = try readPurpose(&r, "RecordQuery.purpose")
    }
}

/// The versions of one record, oldest first, after version `afterVersion`.
///
/// Encoding: DatasetID, SubjectKey, u64 afterVersion, u32 limit (1…500), string purpose (≤ 256 bytes).
@MemberwiseInit
package struct HistoryQuery: Hashable, Sendable, CanonicalCodable {
    package var dataset: DatasetID
    package var subject: SubjectKey
    package var afterVersion: UInt64 = 0
    package var limit: UInt32 = 100
    package var purpose: String = ""

    package func encode(to w: inout CanonicalWriter) {
        w.encode(dataset); w.encode(subject); w.u64(afterVersion); w.u32(limit); w.string(purpose)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        dataset = try r.decode()
        subject = try r.decode()
        afterVersion = try r.u64("HistoryQuery.afterVersion")
        limit = try readLimit(&r, "HistoryQuery.limit")
        purpose = try readPurpose(&r, "HistoryQuery.purpose")
    }
}

/// A condition on a field of a record's JSON payload: the value at `path` compared with `value`.
///
/// Encoding: array<string> path (1…8 segments of 1…64 bytes), u8 op, string value (JSON text, ≤ 1024 bytes; empty for `exists`).
@MemberwiseInit
package struct FieldPredicate: Hashable, Sendable, CanonicalCodable, CustomStringConvertible {
    /// How the field is compared.
    package enum Op: UInt8, Sendable, CaseIterable {
        case equal = 1, notEqual, less, lessOrEqual, greater, greaterOrEqual, exists

        /// The operator as written on the command line.
        package var symbol: String {
            switch self {
            case .equal: "="
            case .notEqual: "!="
            case .less: "<"
            case .lessOrEqual: "<="
            case .greater: ">"
            case .greaterOrEqual: ">="
            case .exists: "?"
            }
        }
    }

    package static let maxSegments = 8
    package static let maxSegmentBytes = 64
    package static let maxValueBytes = 1024

    /// Field names from the payload's top level down.
    package var path: [String]
    package var op: Op
    /// A JSON value (`42`, `"B-12"`, `true`); empty for `exists`.
    package var value: String

    /// `a.b=42`, `zone="B"`, `paid?`.
    package var description: String { path.joined(separator: ".") + op.symbol + value }

    /// Reads `path OP value` (`zone="B"`, `minutes>=30`, `plate?`); nil when it is not of that form.
    /// Operators and dots are found in the UTF-8 bytes, not among Characters: a value that starts
    /// with a combining mark (`city!=\u{06E7}`) makes one Character of "=" and the mark, which a
    /// Character search would miss (the fuzzer found it).
    package init?(text: String) {
        let bytes = Array(text.utf8)
        func find(_ symbol: String) -> Int? {
            let s = Array(symbol.utf8)
            guard bytes.count >= s.count else { return nil }
            return (0...(bytes.count - s.count)).first { i in bytes[i..<(i + s.count)].elementsEqual(s) }
        }
        func segments(_ b: ArraySlice<UInt8>) -> [String] {
            b.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        }
        // The leftmost operator splits path from value (a value may itself hold "<=" or "="); at
        // one position the two-character operator wins.
        var best: (Int, Op)?
        for op in [Op.lessOrEqual, .greaterOrEqual, .notEqual, .equal, .less, .greater] {
            guard let i = find(op.symbol) else { continue }
            if let b = best, b.0 <= i { continue }
            best = (i, op)
        }
        if let (i, op) = best {
            let path = segments(bytes[..<i])
            let value = String(decoding: bytes[(i + op.symbol.utf8.count)...], as: UTF8.self)
            guard !path.isEmpty, path.allSatisfy({ !$0.isEmpty }), !value.isEmpty else { return nil }
            self.init(path: path, op: op, value: value)
            return
        }
        guard bytes.last == UInt8(ascii: "?") else { return nil }
        let path = segments(bytes.dropLast())
        guard !path.isEmpty, path.allSatisfy({ !$0.isEmpty }) else { return nil }
        self.init(path: path, op: .exists, value: "")
    }

    package func encode(to w: inout CanonicalWriter) {
        w.array(path) { w, s in w.string(s) }
        w.u8(op.rawValue)
        w.string(value)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        path = try r.array(max: Self.maxSegments, "FieldPredicate.path") { r throws(CodecError) in
            let s = try r.string(max: Self.maxSegmentBytes, "FieldPredicate.path")
            guard !s.isEmpty else { throw CodecError(.invalidValue, field: "FieldPredicate.path", "a path segment is empty") }
            return s
        }
        guard !path.isEmpty else { throw CodecError(.invalidValue, field: "FieldPredicate.path", "the path is empty; name a field") }
        let tag = try r.u8("FieldPredicate.op")
        guard let op = Op(rawValue: tag) else { throw .unknownTag("FieldPredicate.op", tag) }
        self.op = op
        value = try r.string(max: Self.maxValueBytes, "FieldPredicate.value")
        guard (op == .exists) == value.isEmpty else {
            throw CodecError(.invalidValue, field: "FieldPredicate.value", op == .exists ? "exists takes no value" : "a comparison needs a JSON value")
        }
    }
}

/// Changes (record versions) of a dataset in chain order after `after`, filtered by the block time
/// range, the writing agency and JSON field predicates (all must hold).
///
/// Encoding: DatasetID, ChainCursor after, u64 fromTimeMillis, u64 toTimeMillis (0 = no bound),
/// optional<AgencyID> writer, array<FieldPredicate> (≤ 8), u32 limit (1…500), string purpose (≤ 256 bytes).
package struct DatasetQuery: Hashable, Sendable, CanonicalCodable {
    package var dataset: DatasetID
    package var after: ChainCursor
    package var fromTimeMillis: UInt64
    package var toTimeMillis: UInt64
    package var writer: AgencyID?
    package var predicates: [FieldPredicate]
    package var limit: UInt32
    package var purpose: String

    package init(dataset: DatasetID, after: ChainCursor = .start, fromTimeMillis: UInt64 = 0, toTimeMillis: UInt64 = 0,
                 writer: AgencyID? = nil, predicates: [FieldPredicate] = [], limit: UInt32 = 100, purpose: String = "") {
        self.dataset = dataset
        self.after = after
        self.fromTimeMillis = fromTimeMillis
        self.toTimeMillis = toTimeMillis
        self.writer = writer
        self.predicates = predicates
        self.limit = limit
        self.purpose = purpose
    }

    package func encode(to w: inout CanonicalWriter) {
        w.encode(dataset); w.encode(after); w.u64(fromTimeMillis); w.u64(toTimeMillis); w.optional(writer)
        w.array(predicates); w.u32(limit); w.string(purpose)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        dataset = try r.decode()
        after = try r.decode()
        fromTimeMillis = try r.u64("DatasetQuery.fromTimeMillis")
        toTimeMillis = try r.u64("DatasetQuery.toTimeMillis")
        writer = try r.optional("DatasetQuery.writer")
        predicates = try r.array(max: IndexerAPI.maxPredicates, "DatasetQuery.predicates")
        limit = try readLimit(&r, "DatasetQuery.limit")
        purpose = try readPurpose(&r, "DatasetQuery.purpose")
    }
}

/// One transaction by id.
///
/// Encoding: TransactionID, string purpose (≤ 256 bytes).
@MemberwiseInit
package struct TransactionQuery: Hashable, Sendable, CanonicalCodable {
    package var id: TransactionID
    package var purpose: String = ""

    package func encode(to w: inout CanonicalWriter) { w.encode(id); w.string(purpose) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        id = try r.decode()
        purpose = try readPurpose(&r, "TransactionQuery.purpose")
    }
}

/// One block by height.
///
/// Encoding: u64 height (≥ 1).
@MemberwiseInit
package struct BlockQuery: Hashable, Sendable, CanonicalCodable {
    package var height: UInt64

    package func encode(to w: inout CanonicalWriter) { w.u64(height) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        height = try r.u64("BlockQuery.height")
        guard height >= 1 else { throw CodecError(.invalidValue, field: "BlockQuery.height", "heights start at 1") }
    }
}

/// The disclosure records of one subject (who read it, when, why), after sequence `afterSequence`.
///
/// Encoding: DatasetID, SubjectKey, u64 afterSequence, u32 limit (1…500).
@MemberwiseInit
package struct AuditQuery: Hashable, Sendable, CanonicalCodable {
    package var dataset: DatasetID
    package var subject: SubjectKey
    package var afterSequence: UInt64 = 0
    package var limit: UInt32 = 100

    package func encode(to w: inout CanonicalWriter) { w.encode(dataset); w.encode(subject); w.u64(afterSequence); w.u32(limit) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        dataset = try r.decode()
        subject = try r.decode()
        afterSequence = try r.u64("AuditQuery.afterSequence")
        limit = try readLimit(&r, "AuditQuery.limit")
    }
}
