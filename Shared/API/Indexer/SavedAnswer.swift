import CityEncoding
import CityLedger
import CityWire

/// A query and the indexer's answer, as `citychain query --save FILE` writes them and
/// `citychain verify FILE` checks them offline against a trusted validator set.
///
/// Encoding: 8 bytes "CCANSW01", u16 kind, bytes query, bytes answer (each ≤ 8 MiB).
@MemberwiseInit
package struct SavedAnswer: Hashable, Sendable, CanonicalCodable {
    package static let magic = Array("CCANSW01".utf8)

    package var kind: MessageKind
    package var query: [UInt8]
    package var answer: [UInt8]

    /// Checks the answer's proofs for the query it answers; returns a one-line summary of what holds.
    package func verify(validatorSet: some ValidatorSetSource) throws -> String {
        switch kind {
        case IndexerAPI.record:
            let q = try RecordQuery(canonicalBytes: query), a = try RecordAnswer(canonicalBytes: answer)
            try a.verify(dataset: q.dataset, subject: q.subject, validatorSet: validatorSet)
            return a.entry.map { "record \(q.dataset)/\(q.subject) is at version \($0.version) (\($0.deleted ? "deleted" : "written") at height \($0.height) by \($0.writer.agency)) as of block \(a.at.height)" }
                ?? "record \(q.dataset)/\(q.subject) does not exist as of block \(a.at.height)"
        case IndexerAPI.history:
            let q = try HistoryQuery(canonicalBytes: query), a = try ChangesAnswer(canonicalBytes: answer)
            try a.verify(dataset: q.dataset, subject: q.subject, validatorSet: validatorSet)
            return "\(a.items.count) versions of \(q.dataset)/\(q.subject), each in its certified block, as of block \(a.at.height)"
        case IndexerAPI.dataset:
            let q = try DatasetQuery(canonicalBytes: query), a = try ChangesAnswer(canonicalBytes: answer)
            try a.verify(dataset: q.dataset, validatorSet: validatorSet)
            return "\(a.items.count) changes of \(q.dataset), each in its certified block, as of block \(a.at.height)"
        case IndexerAPI.transaction:
            let q = try TransactionQuery(canonicalBytes: query), a = try TransactionAnswer(canonicalBytes: answer)
            try a.verify(id: q.id, validatorSet: validatorSet)
            return "transaction \(q.id) is at \(a.item.cursor) in certified block \(a.item.height)"
        case IndexerAPI.block:
            let q = try BlockQuery(canonicalBytes: query), a = try BlockAnswer(canonicalBytes: answer)
            try a.verify(height: q.height, validatorSet: validatorSet)
            let withheld = a.entries.filter { if case .withheld = $0 { true } else { false } }.count
            return "block \(q.height) is certified and holds \(a.entries.count) transactions (\(withheld) withheld from this reader)"
        case IndexerAPI.audit:
            let q = try AuditQuery(canonicalBytes: query), a = try AuditAnswer(canonicalBytes: answer)
            let anchored = try a.verify(dataset: q.dataset, subject: q.subject, validatorSet: validatorSet)
            return "\(a.items.count) disclosure records of \(q.dataset)/\(q.subject), \(anchored) of them anchored on chain as of block \(a.at.height)"
        case IndexerAPI.keyShares:
            let q = try KeySharesQuery(canonicalBytes: query), a = try ChangesAnswer(canonicalBytes: answer)
            try a.verifyKeyShares(dataset: q.dataset, grantee: nil, validatorSet: validatorSet)
            return "\(a.items.count) record-key shares of \(q.dataset), each in its certified block, as of block \(a.at.height)"
        case IndexerAPI.access:
            let a = try AccessAnswer(canonicalBytes: answer)
            try a.verify(validatorSet: validatorSet)
            return "\(a.datasets.count) datasets and \(a.grants.count) grants, each the entry under the state root of certified block \(a.at.height)"
        case GatewayAPI.submit, GatewayAPI.receipt:
            let q = try TxStatusRequest(canonicalBytes: query), a = try Receipt(canonicalBytes: answer)
            try a.verify(id: q.id, validatorSet: validatorSet)
            return "receipt: transaction \(q.id) is final at height \(a.height), position \(a.index), in certified block \(a.blockHash)"
        default:
            throw ProofFailure("kind \(kind) carries no proof to verify")
        }
    }

    package func encode(to w: inout CanonicalWriter) {
        w.fixed(Self.magic); w.u16(kind.rawValue); w.bytes(query); w.bytes(answer)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        guard try r.fixed(8, "SavedAnswer.magic") == Self.magic else {
            throw CodecError(.invalidValue, field: "SavedAnswer.magic", "not a saved CityChain answer (citychain query --save writes them)")
        }
        kind = MessageKind(rawValue: try r.u16("SavedAnswer.kind"))
        query = try r.bytes(max: 8 << 20, "SavedAnswer.query")
        answer = try r.bytes(max: 8 << 20, "SavedAnswer.answer")
    }
}
