import CityEncoding
import CityLedger

/// Equivocation evidence waiting for a block: bounded in count and per offender, deduplicated by
/// offence (`Equivocation.id`: the first pair of conflicting messages for an offence is kept),
/// in arrival order, each checked against the ledger (signatures included) on entry.
///
/// A value type with no locks, no clock and no IO, like `Mempool`: the validator owns one and
/// calls `add` for each `ConsensusAction.evidence` (as `Equivocation(evidence)`) and each
/// gossiped item, passes `pending(max:)` to `BlockPolicy.buildBlock`, and calls `blockCommitted`
/// after each block.
package struct EvidencePool: Sendable {
    /// One pending item.
    struct Entry: Sendable {
        let evidence: Equivocation
        let id: Hash32
        let sequence: UInt64
    }

    /// Most items held at once.
    package let maxItems: Int
    /// Most items held against one offender, so that one Byzantine validator signing conflicting
    /// messages in round after round cannot crowd out the evidence against others.
    package let maxPerOffender: Int
    /// Pending items in arrival order.
    private(set) var entries: [Entry] = []
    /// Ids of the pending items.
    private(set) var ids: Set<Hash32> = []
    /// Pending items per offender.
    private(set) var countByOffender: [PublicKey: Int] = [:]
    /// The sequence the next accepted item gets.
    private(set) var nextSequence: UInt64 = 0

    /// An empty pool; both bounds must be at least 1.
    package init(maxItems: Int = 1_024, maxPerOffender: Int = LedgerLimits.maxEvidencePerBlock) {
        precondition(maxItems >= 1 && maxPerOffender >= 1, "evidence pool bounds must be at least 1")
        self.maxItems = maxItems
        self.maxPerOffender = maxPerOffender
    }

    /// How many items are pending.
    package var count: Int { entries.count }

    /// True when the offence `id` is pending.
    package func contains(_ id: Hash32) -> Bool { ids.contains(id) }

    /// How many items against `offender` are pending.
    package func pendingCount(offender: PublicKey) -> Int { countByOffender[offender] ?? 0 }

    /// Admits `evidence` for the block at `height` (the state's height plus one): a pending
    /// offence is answered `.duplicate`, then the bounds are checked (before any signature is
    /// verified, so a flood against a full pool costs no crypto), then
    /// `state.validateEvidence`, which verifies both signatures.
    package mutating func add(_ evidence: Equivocation, state: LedgerState, height: UInt64) -> Admission {
        precondition(height == state.height + 1, "admission height \(height) is not the state's next height \(state.height + 1)")
        let id = evidence.id
        if ids.contains(id) { return .duplicate }
        if entries.count >= maxItems { return .full(maxItems: maxItems) }
        let offender = evidence.offender
        if pendingCount(offender: offender) >= maxPerOffender { return .fullForOffender(offender, maxPerOffender: maxPerOffender) }
        if let rejection = state.validateEvidence(evidence, atHeight: height) { return .rejected(rejection) }
        let sequence = nextSequence
        nextSequence += 1
        entries.append(Entry(evidence: evidence, id: id, sequence: sequence))
        ids.insert(id)
        countByOffender[offender, default: 0] += 1
        return .accepted(sequence: sequence)
    }

    /// At most `max` pending items, in arrival order (for `BlockPolicy.buildBlock`, which leaves
    /// out any the ledger refuses by then).
    package func pending(max: Int) -> [Equivocation] {
        precondition(max >= 0, "pending bound cannot be negative")
        return entries.prefix(max).map(\.evidence)
    }

    /// After `block` is committed and `state` is the state after it: drops the items it recorded
    /// (by offence, so another pair for a recorded offence goes too) and those the ledger now
    /// refuses for the next block (too old, offender no longer a validator). Signatures are not
    /// checked again: they were on entry, and a state change cannot break them. Bounded by
    /// `count`. Returns the items dropped as no longer valid, with why, in arrival order.
    @discardableResult
    package mutating func blockCommitted(_ block: Block, state: LedgerState) -> [(id: Hash32, rejection: Rejection)] {
        precondition(block.header.height == state.height, "state at height \(state.height) is not after block \(block.header.height)")
        let recorded = Set(block.evidence.map(\.id))
        let next = state.height + 1
        var dropped: [(id: Hash32, rejection: Rejection)] = []
        var kept: [Entry] = []
        for e in entries where !recorded.contains(e.id) {
            if let rejection = state.validateEvidence(e.evidence, atHeight: next, signaturesVerified: true) {
                dropped.append((e.id, rejection))
            } else {
                kept.append(e)
            }
        }
        entries = kept
        ids = Set(kept.map(\.id))
        countByOffender = kept.reduce(into: [:]) { $0[$1.evidence.offender, default: 0] += 1 }
        return dropped
    }
}
