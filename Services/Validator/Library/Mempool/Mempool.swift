import CityLedger

/// Transactions waiting for a block: bounded in count, bytes and per signing agency, deduplicated
/// by id, kept in arrival order, each checked against the ledger on entry.
///
/// A value type with no locks, no clock and no IO: the validator owns one inside its actor and
/// calls `add` on submission or gossip, `reap` to propose, then `removeCommitted`,
/// `pruneExpired` and `recheck` after each block.
package struct Mempool: Sendable {
    /// The bounds.
    package let limits: MempoolLimits
    /// Pending entries by arrival sequence.
    private(set) var entries: [UInt64: MempoolEntry] = [:]
    /// Arrival sequence of each pending id.
    private(set) var sequenceByID: [TransactionID: UInt64] = [:]
    /// Sequences in arrival order (sorted); removed ones linger until `compactOrder` drops them.
    private(set) var order: [UInt64] = []
    /// Pending transactions per signing agency.
    private(set) var countBySigner: [AgencyID: Int] = [:]
    /// Ids committed lately, to answer resubmissions.
    private(set) var recentlyCommitted: RecentlyCommitted
    /// The sequence the next accepted transaction gets.
    private(set) var nextSequence: UInt64 = 0
    /// `recheck` resumes from this sequence so that every entry is rechecked in turn.
    var recheckCursor: UInt64 = 0
    /// Transactions `recheck` has validated again, since the pool was made (tests, profiles).
    package internal(set) var rechecked = 0
    /// Sum of pending entries' `encodedBytes`.
    package private(set) var bytes = 0

    /// An empty pool with `limits`.
    package init(limits: MempoolLimits) {
        self.limits = limits
        recentlyCommitted = RecentlyCommitted(capacity: limits.maxRecentlyCommitted)
    }

    /// How many transactions are pending.
    package var count: Int { entries.count }

    /// True when `id` is pending.
    package func contains(_ id: TransactionID) -> Bool { sequenceByID[id] != nil }

    /// The pending transaction `id`, or nil.
    package func transaction(_ id: TransactionID) -> SignedTransaction? { sequenceByID[id].flatMap { entries[$0]?.transaction } }

    /// Where `id` stands: pending, committed lately, or nil when unknown.
    package func status(of id: TransactionID) -> MempoolTxStatus? {
        if let s = sequenceByID[id] { return .pending(sequence: s) }
        if let h = recentlyCommitted.height(of: id) { return .committed(height: h) }
        return nil
    }

    /// Pending entries in arrival order.
    package var entriesInOrder: [MempoolEntry] { order.compactMap { entries[$0] } }

    /// How many transactions `agency` has pending.
    package func pendingCount(signer agency: AgencyID) -> Int { countBySigner[agency] ?? 0 }

    // MARK: - Storage (the only places that change the counters)

    /// Stores `entry` at the end of the arrival order.
    mutating func insert(_ entry: MempoolEntry) {
        precondition(sequenceByID[entry.id] == nil, "transaction \(entry.id) is already pending")
        precondition(entry.sequence == nextSequence, "sequences are handed out in order")
        nextSequence += 1
        entries[entry.sequence] = entry
        sequenceByID[entry.id] = entry.sequence
        order.append(entry.sequence)
        countBySigner[entry.signerAgency, default: 0] += 1
        bytes += entry.encodedBytes
        assert(entries.count == sequenceByID.count && order.count >= entries.count, "every pending entry is indexed by id and in the order")
    }

    /// Removes the pending transaction `id`; returns its entry, or nil when it was not pending.
    @discardableResult
    mutating func remove(_ id: TransactionID) -> MempoolEntry? {
        guard let s = sequenceByID.removeValue(forKey: id), let entry = entries.removeValue(forKey: s) else { return nil }
        let agency = entry.signerAgency
        let left = countBySigner[agency, default: 0] - 1
        precondition(left >= 0, "per-signer count of \(agency) went negative")
        countBySigner[agency] = left == 0 ? nil : left
        bytes -= entry.encodedBytes
        precondition(bytes >= 0, "mempool byte count went negative")
        assert(entries.count == sequenceByID.count, "every pending entry is indexed by id")
        assert(!entries.isEmpty || (bytes == 0 && countBySigner.isEmpty), "an empty pool holds no bytes and no per-signer counts")
        compactOrder()
        return entry
    }

    /// Remembers `id` as committed at `height` (after removing it from the pool).
    mutating func rememberCommitted(_ id: TransactionID, height: UInt64) {
        recentlyCommitted.insert(id, height: height)
    }

    /// Drops removed sequences from `order` once they outnumber live ones, keeping it O(count).
    private mutating func compactOrder() {
        guard order.count > 2 * entries.count + 64 else { return }
        order.removeAll { entries[$0] == nil }
    }

    /// Index in `order` of the first sequence ≥ `sequence` (binary search; `order` is sorted).
    func orderIndex(from sequence: UInt64) -> Int {
        var lo = 0, hi = order.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if order[mid] < sequence { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
