import CityConsensus
import CityEncoding
import CityLedger
import CityMerkle
import Testing
@testable import CityChainAPI

/// The indexer's query and answer payloads (docs/PROTOCOL.md, Part 7): round trips, malformed input
/// refused with a typed `CodecError`, the text forms the CLI reads, and the proof checks a client
/// runs on every answer, against real certified blocks (`APIChain`) and after tampering.
@Suite struct IndexerAPITests {
    // MARK: - Scenario

    /// Disclosure records 1...4 are anchored in block 4 by `audit-office`; record 5 is not anchored yet.
    static let disclosures: [DisclosureRecord] = [
        DisclosureRecord(sequence: 1, reader: IX.id("traffic-bureau"), dataset: IX.property, subject: IX.subject("parcel-1"),
                         timeMillis: 1_700_000_003_100, purpose: "valuation", queryKind: IndexerAPI.record.rawValue, height: 3),
        DisclosureRecord(sequence: 2, reader: IX.id("traffic-bureau"), dataset: IX.property, subject: IX.subject("parcel-2"),
                         timeMillis: 1_700_000_003_200, purpose: "valuation", queryKind: IndexerAPI.record.rawValue, height: 3),
        DisclosureRecord(sequence: 3, reader: IX.id("admin-a"), dataset: IX.property, subject: IX.subject("parcel-1"),
                         timeMillis: 1_700_000_003_300, purpose: "inspection", queryKind: IndexerAPI.history.rawValue, height: 3),
        DisclosureRecord(sequence: 4, reader: IX.id("traffic-bureau"), dataset: IX.property, subject: nil,
                         timeMillis: 1_700_000_003_400, purpose: "survey", queryKind: IndexerAPI.dataset.rawValue, height: 3),
        DisclosureRecord(sequence: 5, reader: IX.id("admin-b"), dataset: IX.property, subject: IX.subject("parcel-1"),
                         timeMillis: 1_700_000_005_100, purpose: "inspection", queryKind: IndexerAPI.record.rawValue, height: 5),
    ]
    static var anchoredBatch: [DisclosureRecord] { Array(disclosures.prefix(4)) }

    /// Block 1: bay-1 v1, bay-2 v1, parcel-1 v1. Block 2: bay-1 v2, a grant (not a record change),
    /// parcel-2 v1. Block 3: bay-1 v3, parcel-1 v2. Block 4: the audit anchor of records 1...4.
    /// Block 5: empty.
    static let chain: APIChain = {
        var c = APIChain()
        c.block([c.parking(1, minutes: 30), c.parking(2, minutes: 45, zone: "A"), c.property("parcel-1", owner: "ana")])
        c.block([c.parking(1, minutes: 60),
                 c.tx("land-bureau", .grantAccess(dataset: IX.property, grantee: IX.id("traffic-bureau"), expiresAtHeight: 100,
                                                  purpose: "valuation")),
                 c.property("parcel-2", owner: "carl")])
        c.block([c.parking(1, minutes: 90), c.property("parcel-1", owner: "ben")])
        let batch = anchoredBatch
        c.block([c.tx("audit-office", .anchorAuditBatch(firstSequence: 1, lastSequence: 4, recordCount: UInt64(batch.count),
                                                       merkleRoot: MerkleTree.root(leaves: batch.map(\.canonicalBytes))))])
        c.block([])
        return c
    }()

    var chain: APIChain { Self.chain }
    let set = IX.validatorSet
    let bay1 = IX.subject("bay-1")
    let parcel1 = IX.subject("parcel-1")

    // MARK: - Helpers

    /// Encodes, decodes back to the same value, and refuses the encoding with a byte more
    /// (`trailingBytes`) or a byte less (`truncated`).
    func roundTrip<T: CanonicalCodable & Equatable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let bytes = value.canonicalBytes
        #expect(try T(canonicalBytes: bytes) == value, sourceLocation: sourceLocation)
        refused(T.self, bytes + [0], .trailingBytes, sourceLocation: sourceLocation)
        refused(T.self, bytes.dropLast(), .truncated, sourceLocation: sourceLocation)
    }

    /// Decoding `bytes` as `T` fails with a `CodecError` of `code` (naming `field` when given).
    func refused<T: CanonicalDecodable>(_: T.Type, _ bytes: some Collection<UInt8>, _ code: CodecError.Code, field: String? = nil,
                                        sourceLocation: SourceLocation = #_sourceLocation) {
        do throws(CodecError) {
            let value = try T(canonicalBytes: bytes)
            Issue.record("decoded \(value) where \(code) was expected", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(!error.detail.isEmpty, sourceLocation: sourceLocation)
            if let field { #expect(error.field == field, "\(error)", sourceLocation: sourceLocation) }
        }
    }

    /// The check fails with a `ProofFailure` whose message contains `reason`.
    func fails<R>(_ reason: String, sourceLocation: SourceLocation = #_sourceLocation, _ check: () throws -> R) {
        do {
            _ = try check()
            Issue.record("the proof checked out; expected a failure about '\(reason)'", sourceLocation: sourceLocation)
        } catch let error as ProofFailure {
            #expect(error.message.contains(reason), "\(error.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("failed with \(type(of: error)) \(error), not a ProofFailure", sourceLocation: sourceLocation)
        }
    }

    /// The transaction with one payload byte changed and its payload hash recomputed, as a careful forger would.
    func tampered(_ tx: SignedTransaction) -> SignedTransaction {
        guard case let .putRecord(d, s, _) = tx.body.operation, var p = tx.payloadBytes else { fatalError("not a putRecord") }
        let digit = p.firstIndex { (0x30...0x39).contains($0) }!
        p[digit] = p[digit] == 0x39 ? 0x30 : p[digit] + 1   // minutes 30 → 40, 90 → 00, …
        var t = tx
        t.body.operation = .putRecord(dataset: d, subject: s, payloadHash: Hash32.sha256(p))
        t.payload = .present(p)
        return t
    }

    // MARK: - Round trips

    @Test func everyQueryRoundTrips() throws {
        let tx = chain.blocks[0].block.transactions[0]
        try roundTrip(RecordQuery(dataset: IX.parking, subject: bay1))
        try roundTrip(RecordQuery(dataset: IX.property, subject: parcel1, purpose: "valuation of parcel 1"))
        try roundTrip(HistoryQuery(dataset: IX.parking, subject: bay1, afterVersion: 2, limit: 1, purpose: ""))
        try roundTrip(HistoryQuery(dataset: IX.property, subject: parcel1, afterVersion: 0, limit: 500, purpose: "audit é"))
        try roundTrip(DatasetQuery(dataset: IX.parking))
        try roundTrip(DatasetQuery(dataset: IX.parking, after: ChainCursor(height: 3, index: 1), fromTimeMillis: 1_700_000_000_000,
                                   toTimeMillis: 1_700_000_009_000, writer: IX.id("traffic-bureau"),
                                   predicates: (0..<IndexerAPI.maxPredicates).map { FieldPredicate(path: ["p\($0)"], op: .greater, value: "\($0)") },
                                   limit: 250, purpose: "traffic study"))
        try roundTrip(TransactionQuery(id: tx.id))
        try roundTrip(TransactionQuery(id: tx.id, purpose: "dispute 17"))
        try roundTrip(BlockQuery(height: 1))
        try roundTrip(BlockQuery(height: .max))
        try roundTrip(AuditQuery(dataset: IX.property, subject: parcel1))
        try roundTrip(AuditQuery(dataset: IX.property, subject: parcel1, afterSequence: 99, limit: 500))
        try roundTrip(ChainCursor(height: 7, index: 2))
        try roundTrip(ChainCursor.start)
        for op in FieldPredicate.Op.allCases {
            try roundTrip(FieldPredicate(path: ["a", "b"], op: op, value: op == .exists ? "" : #""x""#))
        }
        try roundTrip(FieldPredicate(path: (0..<8).map { String(repeating: "s", count: $0 == 0 ? 64 : 1) }, op: .equal,
                                     value: String(repeating: "9", count: FieldPredicate.maxValueBytes)))
    }

    @Test func everyAnswerRoundTrips() throws {
        let tip = chain.tip
        try roundTrip(tip)
        try roundTrip(chain.proven(1, 2))
        let (entry, proof) = chain.state.proveRecord(dataset: IX.parking, subject: bay1)
        try roundTrip(RecordAnswer(at: tip, entry: entry, proof: proof, current: chain.proven(entry!.transactionID)))
        let (none, absence) = chain.state.proveRecord(dataset: IX.parking, subject: IX.subject("bay-999"))
        try roundTrip(RecordAnswer(at: tip, entry: none, proof: absence, current: nil))
        try roundTrip(ChangesAnswer(at: tip, items: [chain.proven(1, 0), chain.proven(2, 0)], more: true))
        try roundTrip(ChangesAnswer(at: tip, items: [], more: false))
        try roundTrip(TransactionAnswer(at: tip, item: chain.proven(2, 1)))
        try roundTrip(IndexerStatus(indexedHeight: 5, indexedHash: tip.header.hash, provenHeight: 4, chainHeight: 9, source: "127.0.0.1:7101"))
        try roundTrip(IndexerStatus(indexedHeight: 0, indexedHash: .zero, provenHeight: 0, chainHeight: 0, source: ""))
        let block2 = chain.blocks[1].block
        try roundTrip(BlockAnswer.Entry.transaction(block2.transactions[0]))
        try roundTrip(BlockAnswer.Entry.withheld(leafHash: MerkleTree.leafHash(block2.transactions[1].leafBytes)))
        try roundTrip(BlockAnswer(header: chain.header(2), entries: [.transaction(block2.transactions[0]),
                                                                     .withheld(leafHash: Hash32.sha256([1])), .withheld(leafHash: .zero)]))
        try roundTrip(BlockAnswer(header: chain.header(5), entries: []))
        for record in Self.disclosures { try roundTrip(record) }
        let answer = auditAnswer()
        for item in answer.items {
            try roundTrip(item)
            if let anchor = item.anchor { try roundTrip(anchor) }
        }
        try roundTrip(answer)
    }

    // MARK: - Malformed input

    @Test func limitsOutsideOneToFiveHundredAreRefused() {
        let d = IX.property, s = parcel1
        for bad: UInt32 in [0, 501, .max] {
            refused(HistoryQuery.self, HistoryQuery(dataset: d, subject: s, limit: bad).canonicalBytes, .invalidValue, field: "HistoryQuery.limit")
            refused(DatasetQuery.self, DatasetQuery(dataset: d, limit: bad).canonicalBytes, .invalidValue, field: "DatasetQuery.limit")
            refused(AuditQuery.self, AuditQuery(dataset: d, subject: s, limit: bad).canonicalBytes, .invalidValue, field: "AuditQuery.limit")
        }
        for good: UInt32 in [1, 500] {
            #expect((try? HistoryQuery(canonicalBytes: HistoryQuery(dataset: d, subject: s, limit: good).canonicalBytes))?.limit == good)
            #expect((try? DatasetQuery(canonicalBytes: DatasetQuery(dataset: d, limit: good).canonicalBytes))?.limit == good)
            #expect((try? AuditQuery(canonicalBytes: AuditQuery(dataset: d, subject: s, limit: good).canonicalBytes))?.limit == good)
        }
    }

    @Test func purposeMayBeEmptyButNotOver256Bytes() throws {
        let d = IX.property, s = parcel1, id = chain.blocks[0].block.transactions[0].id
        let longest = String(repeating: "p", count: IndexerAPI.maxPurposeBytes)
        // 129 two-byte characters: 129 characters but 258 bytes; the limit counts bytes.
        for purpose in ["", longest] {
            #expect(try RecordQuery(canonicalBytes: RecordQuery(dataset: d, subject: s, purpose: purpose).canonicalBytes).purpose == purpose)
            #expect(try HistoryQuery(canonicalBytes: HistoryQuery(dataset: d, subject: s, purpose: purpose).canonicalBytes).purpose == purpose)
            #expect(try DatasetQuery(canonicalBytes: DatasetQuery(dataset: d, purpose: purpose).canonicalBytes).purpose == purpose)
            #expect(try TransactionQuery(canonicalBytes: TransactionQuery(id: id, purpose: purpose).canonicalBytes).purpose == purpose)
        }
        for purpose in [longest + "p", String(repeating: "é", count: 129)] {
            refused(RecordQuery.self, RecordQuery(dataset: d, subject: s, purpose: purpose).canonicalBytes, .overLimit, field: "RecordQuery.purpose")
            refused(HistoryQuery.self, HistoryQuery(dataset: d, subject: s, purpose: purpose).canonicalBytes, .overLimit, field: "HistoryQuery.purpose")
            refused(DatasetQuery.self, DatasetQuery(dataset: d, purpose: purpose).canonicalBytes, .overLimit, field: "DatasetQuery.purpose")
            refused(TransactionQuery.self, TransactionQuery(id: id, purpose: purpose).canonicalBytes, .overLimit, field: "TransactionQuery.purpose")
            var record = Self.disclosures[0]
            record.purpose = purpose
            refused(DisclosureRecord.self, record.canonicalBytes, .overLimit, field: "DisclosureRecord.purpose")
        }
        // Invalid UTF-8 in a purpose.
        var w = CanonicalWriter()
        w.encode(d); w.encode(s); w.bytes([0xff, 0xfe])
        refused(RecordQuery.self, w.bytes, .nonCanonical, field: "RecordQuery.purpose")
    }

    @Test func malformedPredicatesAreRefused() {
        func bytes(_ p: FieldPredicate) -> [UInt8] { p.canonicalBytes }
        refused(FieldPredicate.self, bytes(FieldPredicate(path: [], op: .equal, value: "1")), .invalidValue, field: "FieldPredicate.path")
        refused(FieldPredicate.self, bytes(FieldPredicate(path: ["a", ""], op: .equal, value: "1")), .invalidValue, field: "FieldPredicate.path")
        refused(FieldPredicate.self, bytes(FieldPredicate(path: [""], op: .exists, value: "")), .invalidValue, field: "FieldPredicate.path")
        refused(FieldPredicate.self, bytes(FieldPredicate(path: Array(repeating: "a", count: 9), op: .exists, value: "")), .overLimit,
                field: "FieldPredicate.path")
        refused(FieldPredicate.self, bytes(FieldPredicate(path: [String(repeating: "a", count: 65)], op: .exists, value: "")), .overLimit,
                field: "FieldPredicate.path")
        refused(FieldPredicate.self, bytes(FieldPredicate(path: ["paid"], op: .exists, value: "true")), .invalidValue, field: "FieldPredicate.value")
        for op in FieldPredicate.Op.allCases where op != .exists {
            refused(FieldPredicate.self, bytes(FieldPredicate(path: ["minutes"], op: op, value: "")), .invalidValue, field: "FieldPredicate.value")
        }
        refused(FieldPredicate.self, bytes(FieldPredicate(path: ["a"], op: .equal, value: String(repeating: "1", count: 1025))), .overLimit,
                field: "FieldPredicate.value")
        // Op tags are 1...7.
        for tag: UInt8 in [0, 8, 0xff] {
            var w = CanonicalWriter()
            w.array(["zone"]) { w, s in w.string(s) }
            w.u8(tag)
            w.string(#""B""#)
            refused(FieldPredicate.self, w.bytes, .unknownTag, field: "FieldPredicate.op")
        }
        // In a dataset query: a bad predicate refuses the query, and at most 8 predicates.
        refused(DatasetQuery.self, DatasetQuery(dataset: IX.parking, predicates: [FieldPredicate(path: ["a", ""], op: .exists, value: "")]).canonicalBytes,
                .invalidValue, field: "FieldPredicate.path")
        let nine = (0..<9).map { FieldPredicate(path: ["f\($0)"], op: .exists, value: "") }
        refused(DatasetQuery.self, DatasetQuery(dataset: IX.parking, predicates: nine).canonicalBytes, .overLimit, field: "DatasetQuery.predicates")
        // The writer is an optional: only markers 0 and 1.
        var bytes = DatasetQuery(dataset: IX.parking).canonicalBytes
        let marker = 4 + IX.parking.value.utf8.count + 12 + 16
        #expect(bytes[marker] == 0)
        bytes[marker] = 2
        refused(DatasetQuery.self, bytes, .nonCanonical, field: "DatasetQuery.writer")
    }

    @Test func blockQueryHeightZeroIsRefused() {
        refused(BlockQuery.self, BlockQuery(height: 0).canonicalBytes, .invalidValue, field: "BlockQuery.height")
        refused(BlockQuery.self, [0, 0, 0, 0, 0, 0, 0], .truncated, field: "BlockQuery.height")
        #expect((try? BlockQuery(canonicalBytes: [0, 0, 0, 0, 0, 0, 0, 1]))?.height == 1)
    }

    @Test func unknownBlockEntryTagIsRefused() {
        for tag: UInt8 in [2, 0x80, 0xff] {
            refused(BlockAnswer.Entry.self, [tag] + Hash32.zero.bytes, .unknownTag, field: "BlockAnswer.Entry")
            var w = CanonicalWriter()
            w.encode(chain.header(2))
            w.u32(1)
            w.u8(tag)
            w.encode(Hash32.zero)
            refused(BlockAnswer.self, w.bytes, .unknownTag, field: "BlockAnswer.Entry")
        }
        refused(BlockAnswer.Entry.self, [1] + Hash32.zero.bytes.dropLast(), .truncated)
    }

    @Test func countsAndMarkersInAnswersAreChecked() {
        var w = CanonicalWriter()
        w.encode(chain.tip)
        w.u32(IndexerAPI.maxItemsPerAnswer + 1)
        refused(ChangesAnswer.self, w.bytes, .overLimit, field: "ChangesAnswer.items")
        var a = CanonicalWriter()
        a.encode(chain.tip)
        a.encode(IX.auditor)
        a.u32(IndexerAPI.maxItemsPerAnswer + 1)
        refused(AuditAnswer.self, a.bytes, .overLimit, field: "AuditAnswer.items")
        var b = CanonicalWriter()
        b.encode(chain.tip)
        b.u32(UInt32(LedgerLimits.maxTransactionsPerBlock) + 1)
        refused(BlockAnswer.self, b.bytes, .overLimit, field: "BlockAnswer.entries")
        // `more` is a bool.
        var more = ChangesAnswer(at: chain.tip, items: [], more: true).canonicalBytes
        more[more.count - 1] = 2
        refused(ChangesAnswer.self, more, .nonCanonical, field: "ChangesAnswer.more")
        // A disclosure record's subject is an optional.
        var record = Self.disclosures[3].canonicalBytes
        let marker = 8 + 4 + "traffic-bureau".utf8.count + 4 + IX.property.value.utf8.count
        #expect(record[marker] == 0)
        record[marker] = 7
        refused(DisclosureRecord.self, record, .nonCanonical, field: "DisclosureRecord.subject")
        // The status source is at most 256 bytes.
        refused(IndexerStatus.self, IndexerStatus(indexedHeight: 1, indexedHash: .zero, provenHeight: 1, chainHeight: 1,
                                                  source: String(repeating: "h", count: 257)).canonicalBytes, .overLimit, field: "IndexerStatus.source")
    }

    @Test func trailingBytesAreRefusedEverywhere() {
        let tip = chain.tip
        let all: [(String, [UInt8], ([UInt8]) throws(CodecError) -> Void)] = [
            ("RecordQuery", RecordQuery(dataset: IX.parking, subject: bay1).canonicalBytes, { b throws(CodecError) in _ = try RecordQuery(canonicalBytes: b) }),
            ("HistoryQuery", HistoryQuery(dataset: IX.parking, subject: bay1).canonicalBytes, { b throws(CodecError) in _ = try HistoryQuery(canonicalBytes: b) }),
            ("DatasetQuery", DatasetQuery(dataset: IX.parking).canonicalBytes, { b throws(CodecError) in _ = try DatasetQuery(canonicalBytes: b) }),
            ("TransactionQuery", TransactionQuery(id: TransactionID(.zero)).canonicalBytes, { b throws(CodecError) in _ = try TransactionQuery(canonicalBytes: b) }),
            ("BlockQuery", BlockQuery(height: 3).canonicalBytes, { b throws(CodecError) in _ = try BlockQuery(canonicalBytes: b) }),
            ("AuditQuery", AuditQuery(dataset: IX.property, subject: parcel1).canonicalBytes, { b throws(CodecError) in _ = try AuditQuery(canonicalBytes: b) }),
            ("ChainCursor", ChainCursor(height: 1, index: 1).canonicalBytes, { b throws(CodecError) in _ = try ChainCursor(canonicalBytes: b) }),
            ("FieldPredicate", FieldPredicate(path: ["paid"], op: .exists, value: "").canonicalBytes, { b throws(CodecError) in _ = try FieldPredicate(canonicalBytes: b) }),
            ("CertifiedHeader", tip.canonicalBytes, { b throws(CodecError) in _ = try CertifiedHeader(canonicalBytes: b) }),
            ("ProvenTransaction", chain.proven(1, 0).canonicalBytes, { b throws(CodecError) in _ = try ProvenTransaction(canonicalBytes: b) }),
            ("ChangesAnswer", ChangesAnswer(at: tip, items: [chain.proven(1, 0)], more: false).canonicalBytes,
             { b throws(CodecError) in _ = try ChangesAnswer(canonicalBytes: b) }),
            ("TransactionAnswer", TransactionAnswer(at: tip, item: chain.proven(1, 0)).canonicalBytes,
             { b throws(CodecError) in _ = try TransactionAnswer(canonicalBytes: b) }),
            ("BlockAnswer", BlockAnswer(header: chain.header(5), entries: []).canonicalBytes, { b throws(CodecError) in _ = try BlockAnswer(canonicalBytes: b) }),
            ("IndexerStatus", IndexerStatus(indexedHeight: 1, indexedHash: .zero, provenHeight: 1, chainHeight: 1, source: "").canonicalBytes,
             { b throws(CodecError) in _ = try IndexerStatus(canonicalBytes: b) }),
            ("DisclosureRecord", Self.disclosures[0].canonicalBytes, { b throws(CodecError) in _ = try DisclosureRecord(canonicalBytes: b) }),
            ("AuditAnswer", auditAnswer().canonicalBytes, { b throws(CodecError) in _ = try AuditAnswer(canonicalBytes: b) }),
        ]
        for (name, bytes, decode) in all {
            do throws(CodecError) { try decode(bytes) } catch { Issue.record("\(name) refuses its own encoding: \(error)") }
            for extra: [UInt8] in [[0], [1, 2, 3]] {
                do throws(CodecError) {
                    try decode(bytes + extra)
                    Issue.record("\(name) accepts \(extra.count) trailing byte(s)")
                } catch {
                    #expect(error.code == .trailingBytes, "\(name): \(error)")
                    #expect(error.field == name, "\(name): \(error)")
                }
            }
        }
    }

    // MARK: - Text forms

    @Test(arguments: [
        (#"zone="B""#, ["zone"], FieldPredicate.Op.equal, #""B""#),
        ("minutes>=30", ["minutes"], .greaterOrEqual, "30"),
        ("minutes<=30", ["minutes"], .lessOrEqual, "30"),
        ("minutes<30", ["minutes"], .less, "30"),
        ("minutes>30", ["minutes"], .greater, "30"),
        ("a.b!=1", ["a", "b"], .notEqual, "1"),
        ("paid?", ["paid"], .exists, ""),
        ("owner.address.city?", ["owner", "address", "city"], .exists, ""),
        (#"owner.name="Ana Lima""#, ["owner", "name"], .equal, #""Ana Lima""#),
        ("paid=true", ["paid"], .equal, "true"),
        // The leftmost operator splits: operators inside the value stay in it.
        (#"note="a<=b""#, ["note"], .equal, #""a<=b""#),
        (#"rate<"x=y""#, ["rate"], .less, #""x=y""#),
        // A value that starts with a combining mark: "=" and the mark are one Character (fuzzer).
        ("owner.address.city!=\u{06E7}\"", ["owner", "address", "city"], .notEqual, "\u{06E7}\""),
        ("a.\u{0301}b=1", ["a", "\u{0301}b"], .equal, "1"),
    ])
    func predicateText(text: String, path: [String], op: FieldPredicate.Op, value: String) throws {
        let p = try #require(FieldPredicate(text: text))
        #expect(p == FieldPredicate(path: path, op: op, value: value))
        #expect(p.description == text)
        #expect(FieldPredicate(text: p.description) == p)
        #expect(try FieldPredicate(canonicalBytes: p.canonicalBytes) == p)
    }

    @Test(arguments: ["=1", "a..b=1", ".a=1", "a.=1", "a=", "?", ".?", "a..b?", "a.?", "paid", "", "!=1", "zone>="])
    func predicateTextRejects(text: String) {
        #expect(FieldPredicate(text: text) == nil, "\(text) parsed as \(String(describing: FieldPredicate(text: text)))")
    }

    @Test func cursorText() {
        #expect(ChainCursor(text: "7.2") == ChainCursor(height: 7, index: 2))
        #expect(ChainCursor(text: "7") == ChainCursor(height: 7, index: 0))
        #expect(ChainCursor(text: "0") == .start)
        #expect(ChainCursor(text: "18446744073709551615.4294967295") == ChainCursor(height: .max, index: .max))
        for bad in ["", ".", "7.", ".2", "7.2.1", "a.1", "7.x", "7.-1", "-1", "7.4294967296", "18446744073709551616", " 7.2"] {
            #expect(ChainCursor(text: bad) == nil, "\(bad)")
        }
        let c = ChainCursor(height: 12, index: 9)
        #expect(c.description == "12.9")
        #expect(ChainCursor(text: c.description) == c)
        #expect(ChainCursor(height: 1, index: 500) < ChainCursor(height: 2, index: 0))
        #expect(ChainCursor(height: 2, index: 0) < ChainCursor(height: 2, index: 1))
        #expect(!(ChainCursor(height: 2, index: 1) < ChainCursor(height: 2, index: 1)))
        #expect(chain.proven(3, 1).cursor == ChainCursor(height: 3, index: 1))
    }

    // MARK: - Proofs: certified headers and proven transactions

    @Test func certifiedHeaderVerifiesOnlyAgainstItsSet() throws {
        for h in 1...5 { try chain.header(UInt64(h)).verify(validatorSet: set) }
        fails("not the trusted set") { try chain.tip.verify(validatorSet: IX.otherValidatorSet) }
        var edited = chain.header(3)
        edited.header.stateRoot = Hash32.sha256(Array("another state".utf8))
        fails("does not verify") { try edited.verify(validatorSet: set) }
        var mixed = chain.header(3)
        mixed.certificate = chain.header(2).certificate
        fails("does not verify") { try mixed.verify(validatorSet: set) }
        var short = chain.header(3)
        short.certificate = APIChain.certify(short.header, signers: 2)   // 20 of 40: not more than 2/3
        fails("does not verify") { try short.verify(validatorSet: set) }
    }

    /// A stream of proven transactions checks each block's certificate once; a changed header,
    /// certificate or set is checked again (and fails), and the memory is bounded.
    @Test func verifiedHeadersCheckEachCertificateOnce() throws {
        var verified = VerifiedHeaders(capacity: 3)
        for cb in chain.blocks {
            for i in cb.block.transactions.indices { try verified.verify(chain.proven(cb.height, i), validatorSet: set) }
        }
        let full = chain.blocks.filter { !$0.block.transactions.isEmpty }.map(\.height)
        #expect(chain.blocks.flatMap(\.block.transactions).count > full.count && full.count > 3)
        #expect(verified.certificatesChecked == full.count, "one check per block")
        let before = verified.certificatesChecked
        try verified.verify(chain.proven(full.last!, 0), validatorSet: set)
        #expect(verified.certificatesChecked == before, "the latest header is remembered")
        try verified.verify(chain.proven(full[0], 0), validatorSet: set)
        #expect(verified.certificatesChecked == before + 1, "the first block was forgotten (capacity 3) and checked again")
        fails("not the trusted set") { try verified.verify(chain.proven(full[0], 0), validatorSet: IX.otherValidatorSet) }
        var short = chain.proven(full[1], 0)
        short.header.certificate = APIChain.certify(short.header.header, signers: 2)
        fails("does not verify") { try verified.verify(short, validatorSet: set) }
        var payload = chain.proven(full[0], 0)
        payload.transaction = tampered(payload.transaction)
        fails("inclusion proof") { try verified.verify(payload, validatorSet: set) }
    }

    @Test func provenTransactionVerifiesAndTamperingFails() throws {
        for cb in chain.blocks {
            for i in cb.block.transactions.indices {
                let p = chain.proven(cb.height, i)
                try p.verify(validatorSet: set)
                #expect(p.cursor == ChainCursor(height: cb.height, index: UInt32(i)))
            }
        }
        let good = chain.proven(1, 0)
        var payload = good
        payload.transaction = tampered(good.transaction)
        fails("inclusion proof") { try payload.verify(validatorSet: set) }
        var swapped = good
        swapped.transaction = chain.blocks[0].block.transactions[1]   // another transaction of the block, at position 0's proof
        fails("inclusion proof") { try swapped.verify(validatorSet: set) }
        var moved = good
        moved.proof = chain.blocks[0].block.inclusionProof(forTransactionAt: 1)!
        fails("inclusion proof") { try moved.verify(validatorSet: set) }
        var otherHeight = good
        otherHeight.header = chain.header(2)   // a block with as many transactions, but not this one
        fails("inclusion proof") { try otherHeight.verify(validatorSet: set) }
        fails("not the trusted set") { try good.verify(validatorSet: IX.otherValidatorSet) }
        var resigned = good
        resigned.transaction.signatures = chain.blocks[0].block.transactions[1].signatures   // same body, other signature bytes
        fails("inclusion proof") { try resigned.verify(validatorSet: set) }
    }

    // MARK: - RecordAnswer

    func recordAnswer(_ dataset: DatasetID, _ subject: SubjectKey, height: UInt64? = nil) -> RecordAnswer {
        let h = height ?? UInt64(chain.blocks.count)
        let (entry, proof) = chain.states[Int(h) - 1].proveRecord(dataset: dataset, subject: subject)
        return RecordAnswer(at: chain.header(h), entry: entry, proof: proof, current: entry.map { chain.proven($0.transactionID) })
    }

    @Test func recordAnswerVerifiesPresentAndAbsent() throws {
        let present = recordAnswer(IX.parking, bay1)
        try present.verify(dataset: IX.parking, subject: bay1, validatorSet: set)
        #expect(present.entry?.version == 3)
        #expect(present.current?.cursor == ChainCursor(height: 3, index: 0))
        #expect(present.payload == Array(#"{"zone":"B","minutes":90,"paid":true}"#.utf8))
        // The same record as of height 2: version 2, proven against block 2's state root.
        let older = recordAnswer(IX.parking, bay1, height: 2)
        try older.verify(dataset: IX.parking, subject: bay1, validatorSet: set)
        #expect(older.entry?.version == 2)
        let internalRecord = recordAnswer(IX.property, parcel1)
        try internalRecord.verify(dataset: IX.property, subject: parcel1, validatorSet: set)
        #expect(internalRecord.payload == Array(#"{"parcel":"parcel-1","owner":"ben"}"#.utf8))

        let absent = recordAnswer(IX.parking, IX.subject("bay-999"))
        #expect(absent.entry == nil && absent.current == nil && absent.payload == nil)
        try absent.verify(dataset: IX.parking, subject: IX.subject("bay-999"), validatorSet: set)
        // Absent in an existing dataset and in a dataset that does not exist.
        let unknown = recordAnswer(IX.ds("no.such.dataset"), bay1)
        try unknown.verify(dataset: IX.ds("no.such.dataset"), subject: bay1, validatorSet: set)
    }

    @Test func recordAnswerTamperingFails() throws {
        let good = recordAnswer(IX.parking, bay1)
        var payload = good
        payload.current!.transaction = tampered(good.current!.transaction)
        fails("is not the one the state names") { try payload.verify(dataset: IX.parking, subject: bay1, validatorSet: set) }
        var version = good
        version.entry!.version = 2
        fails("does not show this entry") { try version.verify(dataset: IX.parking, subject: bay1, validatorSet: set) }
        var hidden = good
        hidden.entry = nil
        hidden.current = nil
        fails("absent") { try hidden.verify(dataset: IX.parking, subject: bay1, validatorSet: set) }
        var stale = good
        stale.current = chain.proven(2, 0)   // version 2 of the same record, really in block 2
        fails("is not the one the state names") { try stale.verify(dataset: IX.parking, subject: bay1, validatorSet: set) }
        var bare = good
        bare.current = nil
        fails("carries no transaction") { try bare.verify(dataset: IX.parking, subject: bay1, validatorSet: set) }
        var absentWithTx = recordAnswer(IX.parking, IX.subject("bay-999"))
        absentWithTx.current = chain.proven(3, 0)
        fails("carries a transaction") { try absentWithTx.verify(dataset: IX.parking, subject: IX.subject("bay-999"), validatorSet: set) }
        var otherHeight = good
        otherHeight.at = chain.header(2)   // block 2's state root holds version 2, not 3
        fails("under the state root of block 2") { try otherHeight.verify(dataset: IX.parking, subject: bay1, validatorSet: set) }
        fails("not the trusted set") { try good.verify(dataset: IX.parking, subject: bay1, validatorSet: IX.otherValidatorSet) }
        // Another record's proof, and this record's proof for another subject.
        fails("does not show this entry") { try good.verify(dataset: IX.parking, subject: IX.subject("bay-2"), validatorSet: set) }
        fails("does not show this entry") { try good.verify(dataset: IX.property, subject: bay1, validatorSet: set) }
        // The right transaction with a proof of the wrong position.
        var misplaced = good
        misplaced.current!.proof = chain.blocks[2].block.inclusionProof(forTransactionAt: 1)!
        fails("inclusion proof") { try misplaced.verify(dataset: IX.parking, subject: bay1, validatorSet: set) }
    }

    // MARK: - ChangesAnswer

    @Test func changesAnswerVerifiesAndTamperingFails() throws {
        let tip = chain.tip
        let history = ChangesAnswer(at: tip, items: [chain.proven(1, 0), chain.proven(2, 0), chain.proven(3, 0)], more: false)
        try history.verify(dataset: IX.parking, subject: bay1, validatorSet: set)
        try history.verify(dataset: IX.parking, validatorSet: set)
        let dataset = ChangesAnswer(at: tip, items: [chain.proven(1, 0), chain.proven(1, 1), chain.proven(2, 0), chain.proven(3, 0)], more: true)
        try dataset.verify(dataset: IX.parking, validatorSet: set)
        try ChangesAnswer(at: tip, items: [chain.proven(1, 2), chain.proven(2, 2), chain.proven(3, 1)], more: false)
            .verify(dataset: IX.property, validatorSet: set)
        try ChangesAnswer(at: tip, items: [], more: false).verify(dataset: IX.parking, subject: bay1, validatorSet: set)

        var swapped = history
        swapped.items.swapAt(0, 1)
        fails("not in chain order") { try swapped.verify(dataset: IX.parking, subject: bay1, validatorSet: set) }
        var repeated = history
        repeated.items.insert(history.items[1], at: 1)
        fails("not in chain order") { try repeated.verify(dataset: IX.parking, subject: bay1, validatorSet: set) }
        var payload = history
        payload.items[1].transaction = tampered(history.items[1].transaction)
        fails("inclusion proof") { try payload.verify(dataset: IX.parking, subject: bay1, validatorSet: set) }
        var early = history
        early.at = chain.header(2)
        fails("above the answer's height 2") { try early.verify(dataset: IX.parking, subject: bay1, validatorSet: set) }
        fails("not what was asked") { try history.verify(dataset: IX.parking, subject: IX.subject("bay-2"), validatorSet: set) }
        fails("not what was asked") { try dataset.verify(dataset: IX.parking, subject: bay1, validatorSet: set) }   // bay-2 among them
        fails("not what was asked") { try history.verify(dataset: IX.property, validatorSet: set) }
        var grant = history
        grant.items.insert(chain.proven(2, 1), at: 2)
        fails("not a record change") { try grant.verify(dataset: IX.parking, validatorSet: set) }
        var otherHeader = history
        otherHeader.items[2].header = chain.header(2)
        fails("inclusion proof") { try otherHeader.verify(dataset: IX.parking, subject: bay1, validatorSet: set) }
        fails("not the trusted set") { try history.verify(dataset: IX.parking, subject: bay1, validatorSet: IX.otherValidatorSet) }
    }

    // MARK: - TransactionAnswer

    @Test func transactionAnswerVerifiesAndTamperingFails() throws {
        let item = chain.proven(2, 1)
        let good = TransactionAnswer(at: chain.tip, item: item)
        try good.verify(id: item.transaction.id, validatorSet: set)
        try TransactionAnswer(at: chain.header(2), item: item).verify(id: item.transaction.id, validatorSet: set)   // at its own height

        fails("but the answer proves") { try good.verify(id: chain.proven(2, 0).transaction.id, validatorSet: set) }
        var payload = TransactionAnswer(at: chain.tip, item: chain.proven(2, 0))
        payload.item.transaction = tampered(payload.item.transaction)
        fails("inclusion proof") { try payload.verify(id: chain.proven(2, 0).transaction.id, validatorSet: set) }
        let early = TransactionAnswer(at: chain.header(1), item: item)
        fails("above the answer's height 1") { try early.verify(id: item.transaction.id, validatorSet: set) }
        var otherHeader = good
        otherHeader.item.header = chain.header(1)
        fails("inclusion proof") { try otherHeader.verify(id: item.transaction.id, validatorSet: set) }
        fails("not the trusted set") { try good.verify(id: item.transaction.id, validatorSet: IX.otherValidatorSet) }
    }

    // MARK: - BlockAnswer

    @Test func blockAnswerWithWithheldEntriesVerifiesAndTamperingFails() throws {
        let block = chain.blocks[1].block
        let txs = block.transactions
        let full = BlockAnswer(header: chain.header(2), entries: txs.map { .transaction($0) })
        try full.verify(height: 2, validatorSet: set)
        // A reader who may not read the internal dataset: the grant and parcel-2 withheld as leaf hashes.
        let partial = BlockAnswer(header: chain.header(2), entries: [
            .transaction(txs[0]),
            .withheld(leafHash: MerkleTree.leafHash(txs[1].leafBytes)),
            .withheld(leafHash: MerkleTree.leafHash(txs[2].leafBytes)),
        ])
        try partial.verify(height: 2, validatorSet: set)
        #expect(partial.entries.map(\.leafHash) == full.entries.map(\.leafHash))
        try BlockAnswer(header: chain.header(2), entries: txs.map { .withheld(leafHash: MerkleTree.leafHash($0.leafBytes)) })
            .verify(height: 2, validatorSet: set)
        try BlockAnswer(header: chain.header(5), entries: []).verify(height: 5, validatorSet: set)

        var swapped = partial
        swapped.entries.swapAt(0, 1)
        fails("do not hash to its certified transactions root") { try swapped.verify(height: 2, validatorSet: set) }
        var dropped = partial
        dropped.entries.removeLast()
        fails("2 entries do not hash") { try dropped.verify(height: 2, validatorSet: set) }
        var added = partial
        added.entries.append(.transaction(chain.blocks[0].block.transactions[0]))
        fails("4 entries do not hash") { try added.verify(height: 2, validatorSet: set) }
        var payload = partial
        payload.entries[0] = .transaction(tampered(txs[0]))
        fails("do not hash to its certified transactions root") { try payload.verify(height: 2, validatorSet: set) }
        var plainHash = partial   // SHA-256 of the bytes is not the Merkle leaf hash (no 0x00 prefix)
        plainHash.entries[1] = .withheld(leafHash: Hash32.sha256(txs[1].canonicalBytes))
        fails("do not hash to its certified transactions root") { try plainHash.verify(height: 2, validatorSet: set) }
        fails("asked for block 3 but the answer is block 2") { try partial.verify(height: 3, validatorSet: set) }
        var otherHeader = partial   // block 3's header with block 2's entries
        otherHeader.header = chain.header(3)
        fails("do not hash to its certified transactions root") { try otherHeader.verify(height: 3, validatorSet: set) }
        fails("not the trusted set") { try partial.verify(height: 2, validatorSet: IX.otherValidatorSet) }
        var empty = BlockAnswer(header: chain.header(5), entries: [])
        empty.entries = [.withheld(leafHash: .zero)]
        fails("1 entries do not hash") { try empty.verify(height: 5, validatorSet: set) }
    }

    // MARK: - AuditAnswer

    /// The audit trail of parcel-1 as of the tip: records 1 and 3 anchored (positions 0 and 2 of
    /// the batch), record 5 not yet.
    func auditAnswer(at height: UInt64? = nil) -> AuditAnswer {
        let h = height ?? UInt64(chain.blocks.count)
        let state = chain.states[Int(h) - 1]
        let (bytes, stateProof) = state.prove(.auditAnchor(IX.auditor, firstSequence: 1))
        let entry = bytes.flatMap { try? AuditAnchorEntry(canonicalBytes: $0) }
        let leaves = Self.anchoredBatch.map(\.canonicalBytes)
        let items = Self.disclosures.enumerated().filter { $0.element.subject == parcel1 }.map { i, record in
            AuditItem(record: record, anchor: i < leaves.count && entry != nil
                      ? AnchorProof(entry: entry!, inclusion: MerkleTree.proof(leaves: leaves, index: i), stateProof: stateProof) : nil)
        }
        return AuditAnswer(at: chain.header(h), anchoringAgency: IX.auditor, items: items, more: false)
    }

    @Test func auditAnswerVerifiesAnchoredRecords() throws {
        let answer = auditAnswer()
        #expect(answer.items.map(\.record.sequence) == [1, 3, 5])
        #expect(answer.items.map { $0.anchor != nil } == [true, true, false])
        #expect(answer.items[0].anchor?.entry.height == 4)
        #expect(answer.items[0].anchor?.entry.transactionID == chain.blocks[3].block.transactions[0].id)
        #expect(try answer.verify(dataset: IX.property, subject: parcel1, validatorSet: set) == 2)
        // Nothing anchored yet: the records are listed, none is proven.
        let unanchored = AuditAnswer(at: chain.header(3), anchoringAgency: IX.auditor,
                                     items: answer.items.map { AuditItem(record: $0.record, anchor: nil) }, more: true)
        #expect(try unanchored.verify(dataset: IX.property, subject: parcel1, validatorSet: set) == 0)
        #expect(try AuditAnswer(at: chain.tip, anchoringAgency: IX.auditor, items: [], more: false)
            .verify(dataset: IX.property, subject: parcel1, validatorSet: set) == 0)
    }

    @Test func auditAnswerTamperingFails() throws {
        let good = auditAnswer()
        let verify = { (a: AuditAnswer) throws(ProofFailure) in try a.verify(dataset: IX.property, subject: parcel1, validatorSet: set) }

        // A disclosure record edited after anchoring: another purpose, another reader, another time.
        var purpose = good
        purpose.items[0].record.purpose = "routine"
        fails("the trail was edited") { try verify(purpose) }
        var reader = good
        reader.items[1].record.reader = IX.id("traffic-bureau")
        fails("the trail was edited") { try verify(reader) }
        var time = good
        time.items[0].record.timeMillis += 1
        fails("the trail was edited") { try verify(time) }
        // The right record with another record's path, or a path in a smaller batch.
        var path = good
        path.items[0].anchor!.inclusion = MerkleTree.proof(leaves: Self.anchoredBatch.map(\.canonicalBytes), index: 1)
        fails("the trail was edited") { try verify(path) }
        var dropped = good
        let three = [Self.disclosures[0], Self.disclosures[2], Self.disclosures[3]].map(\.canonicalBytes)
        dropped.items[0].anchor!.inclusion = MerkleTree.proof(leaves: three, index: 0)
        fails("the trail was edited") { try verify(dropped) }
        // The batch entry rewritten to match an edited trail: the chain does not hold it.
        var rewritten = purpose
        var batch = Self.anchoredBatch
        batch[0].purpose = "routine"
        rewritten.items[0].anchor!.entry.merkleRoot = MerkleTree.root(leaves: batch.map(\.canonicalBytes))
        fails("is not anchored on chain") { try verify(rewritten) }
        // A record claimed to be in a batch whose range does not hold its sequence.
        var outside = good
        outside.items[2].anchor = good.items[0].anchor   // record 5 is not in 1...4
        fails("outside its batch 1...4") { try verify(outside) }
        // Another agency's anchors, a height before the anchor, an untrusted validator set.
        var agency = good
        agency.anchoringAgency = IX.id("land-bureau")
        fails("is not anchored on chain") { try verify(agency) }
        var early = good
        early.at = chain.header(3)
        fails("under the state root of block 3") { try verify(early) }
        fails("not the trusted set") { try good.verify(dataset: IX.property, subject: parcel1, validatorSet: IX.otherValidatorSet) }
        // Records of another subject (or of no subject) do not belong in this subject's trail.
        var foreign = good
        foreign.items.insert(AuditItem(record: Self.disclosures[1], anchor: nil), at: 1)
        fails("about another subject") { try verify(foreign) }
        var datasetWide = good
        datasetWide.items.append(AuditItem(record: Self.disclosures[3], anchor: nil))
        fails("about another subject") { try verify(datasetWide) }
        fails("about another subject") { try good.verify(dataset: IX.property, subject: IX.subject("parcel-2"), validatorSet: set) }
    }
}
