import CityWire

/// The message kinds indexers serve (docs/PROTOCOL.md, Part 7). Every payload is canonical; every
/// answer names the height it reflects and carries the certified header of that height and the
/// proofs to check it offline (`citychain verify`).
package enum IndexerAPI {
    /// A record's current value: `RecordQuery` → `RecordAnswer` (state proof, also of absence).
    package static let record = MessageKind(.indexer, 0x01)
    /// A record's versions: `HistoryQuery` → `ChangesAnswer`.
    package static let history = MessageKind(.indexer, 0x02)
    /// Changes to a dataset filtered by time, writer and JSON fields: `DatasetQuery` → `ChangesAnswer`.
    package static let dataset = MessageKind(.indexer, 0x03)
    /// A transaction by id: `TransactionQuery` → `TransactionAnswer`.
    package static let transaction = MessageKind(.indexer, 0x04)
    /// A block by height: `BlockQuery` → `BlockAnswer` (transactions the reader may not read are withheld as leaf hashes).
    package static let block = MessageKind(.indexer, 0x05)
    /// Who read a subject's record: `AuditQuery` → `AuditAnswer` (dataset owner and admins).
    package static let audit = MessageKind(.indexer, 0x06)
    /// The indexer's position: empty → `IndexerStatus`.
    package static let status = MessageKind(.indexer, 0x07)
    /// A query of kinds 0x0201-0x0206 or 0x020B relayed by a gateway for the agency it authenticated:
    /// `ForwardedQuery` → that kind's answer. Gateways only; access rules apply to `agency`.
    package static let forwarded = MessageKind(.indexer, 0x08)

    /// Most items one answer carries.
    package static let maxItemsPerAnswer: UInt32 = 500
    /// Most JSON predicates one dataset query may carry.
    package static let maxPredicates = 8
    /// Longest stated purpose.
    package static let maxPurposeBytes = 256
}
