import CityChainAPI
import CityLedger
import Synchronization
import Testing
@testable import CityValidator

/// The receiving lanes of gossip: a vote reaches the node while the transactions that arrived
/// before it are still being verified, and a full verification stage drops transaction batches,
/// never consensus items.
@Suite struct GossipIntakeTests {
    typealias F = MempoolFixture

    /// A gate the transaction stage waits on, opened by the test.
    final class Gate: Sendable {
        private let opened = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
        func wait() async {
            await withCheckedContinuation { c in
                let run = opened.withLock { s -> Bool in
                    if s.open { return true }
                    s.waiters.append(c)
                    return false
                }
                if run { c.resume() }
            }
        }
        func open() { for c in opened.withLock({ s in s.open = true; defer { s.waiters = [] }; return s.waiters }) { c.resume() } }
    }

    @Test(.timeLimit(.minutes(1))) func aVoteIsHandledWhileATransactionBatchIsBeingVerified() async throws {
        let txs = (1...2000).map { GossipItem.transaction(F.parking(UInt64($0))) }
        let vote = GossipItem.vote(F.vote(nil, key: F.validatorKeys[1]))
        let (batches, input) = AsyncStream.makeStream(of: GossipBatch.self)
        let gate = Gate()
        let (votes, voteSeen) = AsyncStream.makeStream(of: [GossipItem].self)
        let verified = Mutex(0)
        let intake = Task {
            try await GossipIntake().run(batches, consensus: { items in voteSeen.yield(items) }, transactions: { txs in
                await gate.wait()   // a verification that takes as long as the test wants
                verified.withLock { $0 += txs.count }
            })
        }
        input.yield(GossipBatch(items: txs))
        input.yield(GossipBatch(items: [vote]))
        var it = votes.makeAsyncIterator()
        #expect(await it.next() == [vote], "the vote arrives while the transactions before it wait for verification")
        #expect(verified.withLock { $0 } == 0)
        gate.open()
        input.finish()
        #expect(try await intake.value == 0, "nothing was dropped")
        #expect(verified.withLock { $0 } == 2000)
    }

    @Test(.timeLimit(.minutes(1))) func aFullVerificationStageDropsTransactionBatchesNotVotes() async throws {
        let (batches, input) = AsyncStream.makeStream(of: GossipBatch.self)
        let gate = Gate()
        let consensusItems = Mutex(0)
        let intake = Task {
            try await GossipIntake(maxPendingTransactions: 2).run(batches, consensus: { items in consensusItems.withLock { $0 += items.count } },
                                                              transactions: { _ in await gate.wait() })
        }
        for i in 1...10 {
            input.yield(GossipBatch(items: [.transaction(F.parking(UInt64(i))), .vote(F.vote(nil, round: UInt32(i), key: F.validatorKeys[1]))]))
        }
        input.finish()
        // The reader ends once every batch is read; the stage is still held by the gate.
        while consensusItems.withLock({ $0 }) < 10 { await Task.yield() }
        gate.open()
        let dropped = try await intake.value
        #expect(consensusItems.withLock { $0 } == 10, "every vote got through")
        #expect(dropped == 8, "at most two transactions waiting or in verification: \(dropped) dropped")
    }

    /// A compact proposal's hand-over can wait for the transactions that arrived before it (its
    /// proposer sends them ahead), while a vote after it is handed over at once.
    @Test(.timeLimit(.minutes(1))) func consensusItemsCanWaitForTheTransactionsBeforeThem() async throws {
        let (batches, input) = AsyncStream.makeStream(of: GossipBatch.self)
        let gate = Gate()
        final class Count: Sendable { let value = Mutex(0) }
        let verified = Count()
        let (waited, sawWait) = AsyncStream.makeStream(of: Int.self)
        let (votes, voteSeen) = AsyncStream.makeStream(of: Void.self)
        let intake = Task {
            try await GossipIntake().run(batches, consensus: { items, before in
                if case .vote = items.first { voteSeen.yield(); return }
                Task {
                    await before.wait()
                    sawWait.yield(verified.value.withLock { $0 })
                }
            }, transactions: { txs in
                await gate.wait()
                verified.value.withLock { $0 += txs.count }
            })
        }
        input.yield(GossipBatch(items: (1...3).map { .transaction(F.parking(UInt64($0))) } + [.height(1)]))
        input.yield(GossipBatch(items: [.vote(F.vote(nil, key: F.validatorKeys[1]))]))
        var v = votes.makeAsyncIterator()
        _ = await v.next()   // the vote is through while the transactions wait at the gate
        #expect(verified.value.withLock { $0 } == 0)
        gate.open()
        var w = waited.makeAsyncIterator()
        #expect(await w.next() == 3, "the wait ended once the three transactions before it were verified")
        input.finish()
        _ = try await intake.value
    }
}
