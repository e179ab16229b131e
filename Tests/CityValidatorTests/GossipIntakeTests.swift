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

    /// Transactions wait in the shared pending map from arrival until the stage handed them on:
    /// a compact proposal finds them there while their verification is still under way.
    @Test(.timeLimit(.minutes(1))) func transactionsArePendingUntilTheStageHandsThemOn() async throws {
        let (batches, input) = AsyncStream.makeStream(of: GossipBatch.self)
        let gate = Gate()
        let pending = GossipPending()
        let txs = (1...3).map { F.parking(UInt64($0)) }
        let (votes, voteSeen) = AsyncStream.makeStream(of: Void.self)
        let (handed, handedOn) = AsyncStream.makeStream(of: Void.self)
        let intake = Task {
            try await GossipIntake().run(batches, pending: pending, consensus: { _ in voteSeen.yield() }, transactions: { _ in
                await gate.wait()
                handedOn.yield()
            })
        }
        input.yield(GossipBatch(items: txs.map { .transaction($0) } + [.vote(F.vote(nil, key: F.validatorKeys[1]))]))
        var v = votes.makeAsyncIterator()
        _ = await v.next()   // the vote is through while the transactions wait at the gate
        #expect(txs.allSatisfy { pending[$0.id] == $0 }, "in verification, and findable by id")
        gate.open()
        var h = handed.makeAsyncIterator()
        _ = await h.next()
        input.finish()
        _ = try await intake.value
        #expect(pending.count == 0, "handed on: the mempool has them now")
    }
}
