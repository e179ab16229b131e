import CityEncoding
import CityLedger
import CityValidator
import Testing

/// `Mempool.reap`, `removeCommitted`, `pruneExpired` and `recheck`.
@Suite struct MempoolMaintenanceTests {
    typealias F = MempoolFixture

    static func pool(_ txs: [SignedTransaction], limits: MempoolLimits = MempoolLimits(),
                     state: LedgerState = F.state()) -> Mempool {
        var pool = Mempool(limits: limits)
        for tx in txs {
            guard case .accepted = pool.add(tx, state: state) else { preconditionFailure("fixture transaction not accepted") }
        }
        return pool
    }

    @Test func reapKeepsArrivalOrderAndCountLimit() {
        let txs = (1...5).map { F.parking($0) }
        let pool = Self.pool(txs)
        #expect(pool.reap(maxTransactions: 3, maxBytes: .max, state: F.state(), height: 1) == Array(txs[0..<3]))
        #expect(pool.reap(maxTransactions: 0, maxBytes: .max, state: F.state(), height: 1).isEmpty)
        #expect(pool.count == 5, "reaping removes nothing; the commit does")
    }

    @Test func reapRespectsByteLimitAndFillsWithSmallerOnes() {
        let big = F.parking(1, payloadBytes: 400)
        let small = (2...4).map { F.parking($0) }
        let pool = Self.pool([small[0], big] + small[1...])
        let budget = small[0].canonicalBytes.count * 3
        #expect(big.canonicalBytes.count > budget - small[0].canonicalBytes.count)
        let reaped = pool.reap(maxTransactions: 10, maxBytes: budget, state: F.state(), height: 1)
        #expect(reaped == small)
        #expect(reaped.reduce(0) { $0 + $1.canonicalBytes.count } <= budget)
    }

    @Test func reapSkipsConflictingTransactions() {
        // Both define land.deeds: each is valid alone, only the first can be in a block.
        let first = F.define("land.deeds", nonce: 1)
        let second = F.define("land.deeds", nonce: 2)
        let other = F.parking(3)
        let pool = Self.pool([first, second, other])
        let reaped = pool.reap(maxTransactions: 10, maxBytes: .max, state: F.state(), height: 1)
        #expect(reaped == [first, other])
        let built = BlockPolicy().buildBlock(transactions: reaped, parent: F.genesisTip, state: F.state(),
                                             proposer: F.proposer, nowMillis: F.genesisTimeMillis + 1_000)
        #expect(BlockPolicy().validateProposal(block: built.block, parent: F.genesisTip, state: F.state(),
                                               nowMillis: F.genesisTimeMillis + 1_000).isSuccess)
    }

    @Test func removeCommittedAnswersResubmissionsAsCommitted() {
        let a = F.parking(1), b = F.parking(2)
        var pool = Self.pool([a, b])
        var state = F.state()
        _ = state.applyBlock([a], height: 1)
        pool.removeCommitted(ids: [a.id], height: 1)
        #expect(!pool.contains(a.id))
        #expect(pool.count == 1 && pool.bytes == b.canonicalBytes.count)
        #expect(pool.pendingCount(signer: F.id("tax-office")) == 1)
        #expect(pool.add(a, state: state) == .duplicate(.committed(height: 1)))
        #expect(pool.add(a, state: state) == .duplicate(.committed(height: 1)), "asking again gives the same answer")
    }

    @Test func recentlyCommittedIsBoundedOldestFirst() {
        var pool = Mempool(limits: MempoolLimits(maxRecentlyCommitted: 2))
        let ids = (1...3).map { F.parking($0).id }
        pool.removeCommitted(ids: ids, height: 7)
        #expect(pool.status(of: ids[0]) == nil)
        #expect(pool.status(of: ids[1]) == .committed(height: 7))
        #expect(pool.status(of: ids[2]) == .committed(height: 7))
    }

    @Test func pruneExpiredDropsOnlyWhatCanNoLongerBeIncluded() {
        let soon = F.parking(1, expires: 5), later = F.parking(2, expires: 10), edge = F.parking(3, expires: 6)
        var pool = Self.pool([soon, later, edge])
        #expect(pool.pruneExpired(atHeight: 6) == [soon.id])
        #expect(pool.count == 2 && pool.contains(later.id) && pool.contains(edge.id))
        #expect(pool.bytes == later.canonicalBytes.count + edge.canonicalBytes.count)
    }

    @Test func recheckAfterKeyRevocationDropsThatAgencysTransactions() {
        let hospital = F.tx("hospital", .defineDataset(id: F.ds("health.notes"), sensitivity: .internal, schema: "note/v1",
                                                         writers: []), nonce: 1)
        let parking = F.parking(2)
        var pool = Self.pool([hospital, parking])
        var state = F.state()
        let outcomes = state.applyBlock([F.revokeHospitalKey], height: 1)
        #expect(outcomes.allSatisfy { (try? $0.result.get()) != nil })
        let dropped = pool.recheck(state: state, height: 2)
        #expect(dropped.map(\.id) == [hospital.id])
        #expect(dropped.map(\.rejection) == [.revokedKey(F.signer("hospital"), revokedAtHeight: 1)])
        #expect(!pool.contains(hospital.id) && pool.contains(parking.id))
        #expect(pool.pendingCount(signer: F.id("hospital")) == 0)
    }

    @Test func recheckWorkIsBoundedAndResumes() {
        let txs = (1...5).map { F.tx("hospital", .defineDataset(id: F.ds("health.n\($0)"), sensitivity: .internal,
                                                                 schema: "note/v1", writers: []), nonce: UInt64($0)) }
        var pool = Self.pool([F.parking(100)] + txs, limits: MempoolLimits(maxRecheckPerCall: 2))
        var state = F.state()
        _ = state.applyBlock([F.revokeHospitalKey], height: 1)
        #expect(pool.recheck(state: state, height: 2).map(\.id) == [txs[0].id], "checks the parking tx and txs[0]")
        #expect(pool.recheck(state: state, height: 2).map(\.id) == [txs[1].id, txs[2].id])
        #expect(pool.recheck(state: state, height: 2).map(\.id) == [txs[3].id, txs[4].id])
        #expect(pool.recheck(state: state, height: 2).isEmpty, "wraps around to the valid one")
        #expect(pool.count == 1)
    }

    @Test func reapAfterRevocationSkipsButKeepsUntilRecheck() {
        let hospital = F.tx("hospital", .defineDataset(id: F.ds("health.notes"), sensitivity: .internal, schema: "note/v1",
                                                         writers: []), nonce: 1)
        let pool = Self.pool([F.revokeHospitalKey, hospital])
        // In one block the revocation comes first and the ledger refuses the hospital's later write.
        let reaped = pool.reap(maxTransactions: 10, maxBytes: .max, state: F.state(), height: 1)
        #expect(reaped == [F.revokeHospitalKey])
        #expect(pool.count == 2)
    }
}

extension Result {
    /// True for `.success`.
    var isSuccess: Bool { if case .success = self { true } else { false } }
}

/// `Mempool.blockCommitted`: the whole after-commit sequence on one block.
@Suite struct MempoolBlockCommittedTests {
    typealias F = MempoolFixture

    @Test func aBlockOfOnlyWritesRechecksNoPendingWriteButTheRest() {
        let hospital = F.tx("hospital", .defineDataset(id: F.ds("health.notes"), sensitivity: .internal, schema: "note/v1",
                                                         writers: []), nonce: 3)
        let writes = (10...14).map { F.parking(UInt64($0)) }
        var pool = MempoolMaintenanceTests.pool(writes + [hospital])
        // A block of writes only: the pending writes cannot have become invalid, the dataset
        // definition is checked again.
        let puts = BlockPolicy().buildBlock(transactions: [F.parking(1), F.parking(2)], parent: F.genesisTip,
                                            state: F.state(), proposer: F.proposer, nowMillis: F.genesisTimeMillis + 1)
        #expect(puts.block.transactions.count == 2)
        #expect(pool.blockCommitted(puts.block, state: puts.state).isEmpty)
        #expect(pool.rechecked == 1, "only the dataset definition was validated again")
        // A block with anything else: every pending transaction is checked again, and the
        // revocation drops the hospital's.
        var other = MempoolMaintenanceTests.pool(writes + [hospital])
        let revoke = BlockPolicy().buildBlock(transactions: [F.parking(1), F.revokeHospitalKey], parent: F.genesisTip,
                                              state: F.state(), proposer: F.proposer, nowMillis: F.genesisTimeMillis + 1)
        #expect(other.blockCommitted(revoke.block, state: revoke.state).map(\.id) == [hospital.id])
        #expect(other.rechecked == 6)
    }

    @Test func afterABlockThePoolHoldsOnlyWhatCanStillBeIncluded() {
        let committed = F.parking(1)
        let expiring = F.parking(2, expires: 1)
        let hospital = F.tx("hospital", .defineDataset(id: F.ds("health.notes"), sensitivity: .internal, schema: "note/v1",
                                                         writers: []), nonce: 3)
        let waiting = F.parking(4)
        var pool = MempoolMaintenanceTests.pool([committed, expiring, hospital, waiting, F.revokeHospitalKey])
        let built = BlockPolicy().buildBlock(transactions: [committed, F.revokeHospitalKey], parent: F.genesisTip,
                                             state: F.state(), proposer: F.proposer, nowMillis: F.genesisTimeMillis + 1)
        let dropped = pool.blockCommitted(built.block, state: built.state)
        #expect(dropped.map(\.id) == [expiring.id, hospital.id])
        #expect(dropped.map(\.rejection) == [.expired(expiresAtHeight: 1, height: 2),
                                             .revokedKey(F.signer("hospital"), revokedAtHeight: 1)])
        #expect(pool.entriesInOrder.map(\.id) == [waiting.id])
        #expect(pool.add(F.revokeHospitalKey, state: built.state) == .duplicate(.committed(height: 1)))
        #expect(pool.reap(maxTransactions: 10, maxBytes: .max, state: built.state, height: 2) == [waiting])
    }
}
