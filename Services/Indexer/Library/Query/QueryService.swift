import CityChainAPI
import CityEncoding
import CityLedger
import CityMerkle
import CityPKI
import CityWire
import Foundation
import Logging

/// Answers agency queries (docs/PROTOCOL.md, Part 7): every answer at the proven height with its
/// certified header and proofs; reads checked against the chain's rules for the agency in the
/// client certificate; every permitted read of internal or restricted data recorded in the audit
/// trail before the answer leaves.
package struct QueryService: Sendable {
    let store: IndexStore
    let proven: ProvenState
    let status: FollowerStatus
    /// The agency whose anchors prove the audit trail (the indexer's operator).
    let auditAgency: AgencyID
    /// The genesis validator set (the start of every validator-set answer's anchor set).
    let genesisSet: ValidatorSet
    let logger: Logger
    /// Transactions from before the snapshot the index was seeded from (nil: the tests' indexers).
    var prehistory: Prehistory?

    package init(store: IndexStore, proven: ProvenState, status: FollowerStatus, auditAgency: AgencyID, genesisSet: ValidatorSet,
                 prehistory: Prehistory? = nil, logger: Logger) {
        self.prehistory = prehistory
        self.genesisSet = genesisSet
        self.store = store
        self.proven = proven
        self.status = status
        self.auditAgency = auditAgency
        self.logger = logger
    }

    /// The router for these queries (agencies only, but status: anyone), plus `forwarded`: the same
    /// queries relayed by a gateway on behalf of the agency it authenticated.
    package func router() -> WireRouter {
        var r = WireRouter()
        let agencies: @Sendable (Role) -> Bool = { if case .agency = $0 { true } else { false } }
        let handlers = queryHandlers()
        for (kind, handle) in handlers where kind != IndexerAPI.validatorChanges {
            r.unary(kind, allowedRoles: agencies) { req in try await IndexerMetrics.counted(kind) { try await handle(req.payload, Self.reader(req)) } }
        }
        // Public chain facts, also asked by gateways for themselves (their start near the head) and
        // by registries (the certificates revoked on chain).
        // And by nodes starting from a snapshot (state sync carries trust from the genesis through them).
        let agenciesAndGateways: @Sendable (Role) -> Bool = {
            if case .agency = $0 { true } else { $0 == .gateway || $0 == .registry || $0 == .validator || $0 == .indexer }
        }
        r.unary(IndexerAPI.validatorChanges, allowedRoles: agenciesAndGateways) { req in
            try await IndexerMetrics.counted(IndexerAPI.validatorChanges) {
                try await self.validatorChanges(try ValidatorChangesQuery(canonicalBytes: req.payload)).canonicalBytes
            }
        }
        r.unary(IndexerAPI.forwarded, allowedRoles: { $0 == .gateway }) { req in
            let f: ForwardedQuery = try req.decode()
            guard let handle = handlers[f.kind] else {
                throw WireError(.unknownKind, "a gateway may forward only query kinds 0x0201-0x0206, 0x020B, 0x020D and 0x020E, not \(f.kind)")
            }
            return try await IndexerMetrics.counted(f.kind) { try await handle(f.payload, f.agency) }
        }
        r.unary(IndexerAPI.status, allowedRoles: { _ in true }) { _ in try await self.indexerStatus().canonicalBytes }
        r.unary(IndexerAPI.startingState, allowedRoles: agenciesAndGateways) { req in
            guard req.payload.isEmpty else { throw WireError(.invalidRequest, "indexer.startingState takes an empty payload, not \(req.payload.count) bytes") }
            return try await self.startingState().canonicalBytes
        }
        return r
    }

    /// Each query kind's handler: the payload and the reading agency in, the answer's bytes out.
    private func queryHandlers() -> [MessageKind: @Sendable ([UInt8], AgencyID) async throws -> [UInt8]] {
        [
            IndexerAPI.record: { try await self.record(try RecordQuery(canonicalBytes: $0), reader: $1).canonicalBytes },
            IndexerAPI.history: { try await self.history(try HistoryQuery(canonicalBytes: $0), reader: $1).canonicalBytes },
            IndexerAPI.dataset: { try await self.dataset(try DatasetQuery(canonicalBytes: $0), reader: $1).canonicalBytes },
            IndexerAPI.transaction: { try await self.transaction(try TransactionQuery(canonicalBytes: $0), reader: $1).canonicalBytes },
            IndexerAPI.block: { try await self.block(try BlockQuery(canonicalBytes: $0), reader: $1).canonicalBytes },
            IndexerAPI.audit: { try await self.audit(try AuditQuery(canonicalBytes: $0), reader: $1).canonicalBytes },
            IndexerAPI.keyShares: { try await self.keyShares(try KeySharesQuery(canonicalBytes: $0), reader: $1).canonicalBytes },
            IndexerAPI.access: { q, reader in
                guard q.isEmpty else { throw WireError(.invalidRequest, "indexer.access takes an empty payload, not \(q.count) bytes") }
                return try await self.access(reader: reader).canonicalBytes
            },
            IndexerAPI.validatorChanges: { q, _ in try await self.validatorChanges(try ValidatorChangesQuery(canonicalBytes: q)).canonicalBytes },
        ]
    }

    static func reader(_ req: WireRequest) throws -> AgencyID {
        guard case .agency(let id) = req.peer.role else { throw WireError(.forbidden, "queries are answered for agencies; connect with an agency certificate") }
        do { return try AgencyID(id) } catch { throw WireError(.forbidden, "the certificate names agency '\(id)', which is not a valid agency id") }
    }

    // MARK: - Access

    /// Whether the read must be disclosed (internal/restricted), after checking it is allowed.
    func authorize(_ reader: AgencyID, _ dataset: DatasetID, purpose: String) async throws -> Bool {
        switch await proven.canRead(agency: reader, dataset: dataset) {
        case .denied(.unknownDataset):
            throw WireError(.notFound, "dataset '\(dataset)' does not exist at height \(await proven.height)")
        case .denied(.noGrant):
            let owner = await proven.dataset(dataset)?.owner.value ?? "its owner"
            throw WireError(.forbidden, "agency '\(reader)' has no grant to read dataset '\(dataset)'; ask its owner '\(owner)' for one (grantAccess)")
        case .denied(.grantExpired(let h)):
            let owner = await proven.dataset(dataset)?.owner.value ?? "its owner"
            throw WireError(.forbidden, "agency '\(reader)''s grant on dataset '\(dataset)' expired at height \(h); ask its owner '\(owner)' to renew it")
        case .denied(.grantExpiredAtTime(let t)):
            let owner = await proven.dataset(dataset)?.owner.value ?? "its owner"
            throw WireError(.forbidden, "agency '\(reader)''s grant on dataset '\(dataset)' expired at block time \(ReadDecision.isoTime(t)); ask its owner '\(owner)' to renew it")
        case .allowed:
            guard let d = await proven.dataset(dataset), d.sensitivity != .public else { return false }
            guard !purpose.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw WireError(.invalidRequest, "reading the \(d.sensitivity.jsonName) dataset '\(dataset)' needs a stated purpose (--purpose); it is recorded in the audit trail")
            }
            return true
        }
    }

    func disclose(_ reader: AgencyID, _ dataset: DatasetID, _ subjects: [SubjectKey?], purpose: String, kind: MessageKind,
                  height: UInt64) async throws {
        try await store.recordDisclosures(reader: reader, dataset: dataset, subjects: subjects.isEmpty ? [nil] : subjects,
                                          purpose: purpose, kind: kind.rawValue, height: height,
                                          timeMillis: UInt64(Date().timeIntervalSince1970 * 1000))
    }

    func provenHeader() async throws -> CertifiedHeader {
        if let why = await proven.halted { throw WireError(.unavailable, "this indexer stopped answering: \(why)") }
        if await status.bulkLoading {
            throw WireError(.unavailable, "this indexer is catching up with its indexes dropped (indexed height \(await status.indexedHeight) of \(await status.chainHeight)); it answers again once it has built them at the head: retry later or ask another indexer")
        }
        guard let h = await proven.header else { throw WireError(.unavailable, "nothing is indexed yet; retry when the indexer has followed the first block") }
        return h
    }

    // MARK: - Queries

    func record(_ q: RecordQuery, reader: AgencyID) async throws -> RecordAnswer {
        let disclose = try await authorize(reader, q.dataset, purpose: q.purpose)
        _ = try await provenHeader()
        guard let (at, entry, proof) = await proven.proveRecord(dataset: q.dataset, subject: q.subject) else {
            throw WireError(.unavailable, "nothing is indexed yet")
        }
        var current: ProvenTransaction?
        if let entry {
            if let row = try await store.transaction(entry.transactionID, maxHeight: at.height) {
                current = try await store.prove([row]).first
            } else if let prehistory, case let base = await proven.baseHeight, entry.height <= base {
                current = try await prehistory.transaction(entry.transactionID, height: entry.height, baseHeight: base,
                                                           erasureEpoch: store.erasureEpoch)
            } else {
                throw WireError(.unavailable, "the index does not hold transaction \(entry.transactionID) yet; retry")
            }
        }
        if disclose { try await self.disclose(reader, q.dataset, [q.subject], purpose: q.purpose, kind: IndexerAPI.record, height: at.height) }
        return RecordAnswer(at: at, entry: entry, proof: proof, current: current)
    }

    func history(_ q: HistoryQuery, reader: AgencyID) async throws -> ChangesAnswer {
        let disclose = try await authorize(reader, q.dataset, purpose: q.purpose)
        let at = try await provenHeader()
        let rows = try await store.history(dataset: q.dataset, subject: q.subject, afterVersion: q.afterVersion, maxHeight: at.height,
                                           limit: Int(q.limit) + 1)
        let items = try await store.prove(Array(rows.prefix(Int(q.limit))))
        if disclose { try await self.disclose(reader, q.dataset, [q.subject], purpose: q.purpose, kind: IndexerAPI.history, height: at.height) }
        return ChangesAnswer(at: at, items: items, more: rows.count > Int(q.limit))
    }

    func dataset(_ q: DatasetQuery, reader: AgencyID) async throws -> ChangesAnswer {
        for p in q.predicates where p.op != .exists && !StrictJSON.isValue(p.value) {
            throw WireError(.invalidRequest, "predicate \(p) compares with '\(p.value)', which is not a JSON value; quote strings (zone=\"B\")")
        }
        let disclose = try await authorize(reader, q.dataset, purpose: q.purpose)
        let at = try await provenHeader()
        let rows = try await store.changes(q, maxHeight: at.height, limit: Int(q.limit) + 1)
        let page = Array(rows.prefix(Int(q.limit)))
        let items = try await store.prove(page)
        if disclose {
            var seen = Set<SubjectKey>()
            let subjects = page.compactMap(\.subject).filter { seen.insert($0).inserted }
            try await self.disclose(reader, q.dataset, subjects, purpose: q.purpose, kind: IndexerAPI.dataset, height: at.height)
        }
        return ChangesAnswer(at: at, items: items, more: rows.count > Int(q.limit))
    }

    /// The record keys the owner shared with `reader` in `q.dataset` (a reader that may read it).
    /// Not a disclosure: the records these keys open are disclosed when the reader asks for them.
    func keyShares(_ q: KeySharesQuery, reader: AgencyID) async throws -> ChangesAnswer {
        _ = try await authorize(reader, q.dataset, purpose: q.purpose.isEmpty ? "record keys" : q.purpose)
        let at = try await provenHeader()
        let rows = try await store.keyShares(dataset: q.dataset, grantee: reader, after: q.after, maxHeight: at.height, limit: Int(q.limit) + 1)
        return ChangesAnswer(at: at, items: try await store.prove(Array(rows.prefix(Int(q.limit)))), more: rows.count > Int(q.limit))
    }

    func transaction(_ q: TransactionQuery, reader: AgencyID) async throws -> TransactionAnswer {
        let at = try await provenHeader()
        guard let row = try await store.transaction(q.id, maxHeight: at.height) else {
            throw WireError(.notFound, "transaction \(q.id) is not in the chain up to height \(at.height) (it may be pending or unknown: ask a validator)")
        }
        if let d = row.dataset, try await authorize(reader, d, purpose: q.purpose) {
            try await disclose(reader, d, [row.subject], purpose: q.purpose, kind: IndexerAPI.transaction, height: at.height)
        }
        guard let item = try await store.prove([row]).first else { throw WireError(.internal, "no proof for \(q.id)") }
        return TransactionAnswer(at: at, item: item)
    }

    func block(_ q: BlockQuery, reader: AgencyID) async throws -> BlockAnswer {
        let at = try await provenHeader()
        guard q.height <= at.height, let (header, rows) = try await store.blockContents(height: q.height) else {
            throw WireError(.notFound, "block \(q.height) is above the indexed height \(at.height)")
        }
        var entries: [BlockAnswer.Entry] = []
        var disclosed: [DatasetID: [SubjectKey?]] = [:]
        for row in rows {
            let tx = try SignedTransaction(canonicalBytes: row.bytes)
            guard let d = row.dataset else { entries.append(.transaction(tx)); continue }
            switch await proven.canRead(agency: reader, dataset: d) {
            case .allowed:
                entries.append(.transaction(tx))
                if let level = await proven.dataset(d)?.sensitivity, level != .public { disclosed[d, default: []].append(row.subject) }
            case .denied:
                entries.append(.withheld(leafHash: MerkleTree.leafHash(tx.leafBytes)))
            }
        }
        for (d, subjects) in disclosed.sorted(by: { $0.key < $1.key }) {
            try await disclose(reader, d, subjects, purpose: "block \(q.height)", kind: IndexerAPI.block, height: at.height)
        }
        return BlockAnswer(header: header, entries: entries)
    }

    func audit(_ q: AuditQuery, reader: AgencyID) async throws -> AuditAnswer {
        guard let d = await proven.dataset(q.dataset) else { throw WireError(.notFound, "dataset '\(q.dataset)' does not exist") }
        let admin = await proven.isAdmin(reader)
        guard d.owner == reader || admin else {
            throw WireError(.forbidden, "the audit trail of '\(q.dataset)' is for its owner '\(d.owner)' and admin agencies; agency '\(reader)' is neither")
        }
        _ = try await provenHeader()
        let rows = try await store.disclosures(dataset: q.dataset, subject: q.subject, after: q.afterSequence, limit: Int(q.limit) + 1)
        let page = rows.prefix(Int(q.limit))
        // One read of the state, so every anchor is proven against the same header.
        guard let (at, anchors) = await proven.proveAnchors(agency: auditAgency, firsts: Set(page.compactMap(\.1))) else {
            throw WireError(.unavailable, "nothing is indexed yet")
        }
        var batches: [UInt64: [DisclosureRecord]] = [:]
        var items: [AuditItem] = []
        for (record, first) in page {
            var anchor: AnchorProof?
            if let first, let (entry, stateProof) = anchors[first] {
                if batches[first] == nil { batches[first] = try await store.anchoredBatch(first: first) }
                if let entry, let batch = batches[first], let i = batch.firstIndex(where: { $0.sequence == record.sequence }) {
                    anchor = AnchorProof(entry: entry, inclusion: MerkleTree.proof(leaves: batch.map(\.canonicalBytes), index: i),
                                         stateProof: stateProof)
                }
            }
            items.append(AuditItem(record: record, anchor: anchor))
        }
        return AuditAnswer(at: at, anchoringAgency: auditAgency, items: items, more: rows.count > Int(q.limit))
    }

    /// The state a follower starts from at the proven height: the agencies are read from the index
    /// at that height, and again if the proven height moved meanwhile (so none registered at or
    /// below the answer's height is left out).
    func startingState() async throws -> StartingStateAnswer {
        var at = try await provenHeader().height
        for _ in 0..<5 {
            let ids = try await store.agencyIDs(maxHeight: at)
            guard ids.count <= IndexerAPI.maxAgenciesPerStart else {
                throw WireError(.unavailable, "the chain has \(ids.count) agencies, more than one starting state carries (\(IndexerAPI.maxAgenciesPerStart)); follow the chain from block 1")
            }
            guard let answer = await proven.startingState(agencies: ids) else { throw WireError(.unavailable, "nothing is indexed yet") }
            if answer.at.height == at { return answer }
            at = answer.at.height
        }
        throw WireError(.unavailable, "the index moved on at every try; retry")
    }

    /// The datasets and the grants that concern `reader`, proven at the proven height (not a
    /// disclosure: no record is read).
    func access(reader: AgencyID) async throws -> AccessAnswer {
        var at = try await provenHeader().height
        for _ in 0..<5 {
            let (datasets, grants) = try await store.accessCandidates(agency: reader, maxHeight: at)
            guard datasets.count <= IndexerAPI.maxAccessEntries, grants.count <= IndexerAPI.maxAccessEntries else {
                throw WireError(.unavailable, "more than \(IndexerAPI.maxAccessEntries) datasets or grants: more than one answer carries; query datasets by name")
            }
            guard let answer = await proven.access(datasets: datasets, grants: grants) else { throw WireError(.unavailable, "nothing is indexed yet") }
            if answer.at.height == at { return answer }
            at = answer.at.height
        }
        throw WireError(.unavailable, "the index moved on at every try; retry")
    }

    func indexerStatus() async throws -> IndexerStatus {
        IndexerStatus(indexedHeight: await status.indexedHeight, indexedHash: await status.indexedHash, provenHeight: await proven.height,
                      chainHeight: await status.chainHeight, source: await status.source)
    }
}
