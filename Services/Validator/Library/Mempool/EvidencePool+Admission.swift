import CityLedger

extension EvidencePool {
    /// What `EvidencePool.add` did with an evidence item.
    package enum Admission: Hashable, Sendable {
        /// Added; `sequence` is its place in arrival order. Gossip it on.
        case accepted(sequence: UInt64)
        /// Evidence of this offence is already pending; nothing changed, do not gossip it again.
        case duplicate
        /// The ledger refuses it (not a conflict, bad signature, too old, not a validator, already recorded).
        case rejected(Rejection)
        /// The pool holds `maxItems` items; retry after the next block drains it.
        case full(maxItems: Int)
        /// The pool holds `maxPerOffender` items against this validator; retry after the next block.
        case fullForOffender(PublicKey, maxPerOffender: Int)
    }
}
