import CityLedger
import Dispatch
import Synchronization

/// The shared record of one `citychain-bench load` run: which transaction goes next, when each was sent
/// and when its block was seen on the commit stream, and how the validators answered. Times are
/// monotonic nanoseconds (`LoadClock`). One lock; it is taken once per send, answer and block.
final class LoadRecorder: Sendable {
    /// How a validator answered one submission.
    enum Answer {
        /// Admitted (pending) or already committed.
        case accepted
        /// Refused by the ledger rules; the reason's text.
        case rejected(String)
        /// The mempool was full (`rateLimited`, retry after the hint): not admitted.
        case busy(retryMillis: UInt32)
        /// The request failed (timeout, connection lost); the error's text.
        case failed(String)
    }

    /// What the run saw, copied out of the lock.
    struct Snapshot {
        var sentAt: [UInt64]
        var committedAt: [UInt64]
        var accepted = 0, rejected = 0, busy = 0, busyRetries = 0, failed = 0, committed = 0
        var reasons: [String: Int] = [:]
        var blocks = 0, blockTransactions = 0, largestBlock = 0
        var nextHeight: UInt64 = 1
        var firstBlockMillis: UInt64 = 0, lastBlockMillis: UInt64 = 0
        /// Milliseconds between consecutive blocks' header times (the proposers' clocks), and the
        /// height each gap ended at (same order).
        var blockGapsMillis: [UInt64] = []
        var blockGapHeights: [UInt64] = []
        var lastSentAt: UInt64 = 0
        var taken = 0
    }

    /// Distinct failure texts kept (each with its count); more are counted under "other".
    static let maxReasons = 8

    let runTag: UInt32
    private let state: Mutex<Snapshot>

    /// A record for `count` transactions of run `runTag`, whose commit stream starts at `fromHeight`.
    init(count: Int, runTag: UInt32, fromHeight: UInt64) {
        self.runTag = runTag
        var s = Snapshot(sentAt: [UInt64](repeating: 0, count: count), committedAt: [UInt64](repeating: 0, count: count))
        s.nextHeight = fromHeight
        state = Mutex(s)
    }

    /// The next transaction index to send, or nil once all are taken.
    func take() -> Int? {
        state.withLock { s in
            guard s.taken < s.sentAt.count else { return nil }
            defer { s.taken += 1 }
            return s.taken
        }
    }

    /// Transaction `i` is being sent now.
    func sent(_ i: Int, at nanos: UInt64) {
        state.withLock { s in
            s.sentAt[i] = nanos
            s.lastSentAt = max(s.lastSentAt, nanos)
        }
    }

    /// A submission was answered `rateLimited` and will be sent again.
    func busyRetry() { state.withLock { $0.busyRetries += 1 } }

    /// The validator's final answer to transaction `i`.
    func answered(_ i: Int, _ answer: Answer) {
        state.withLock { s in
            switch answer {
            case .accepted: s.accepted += 1
            case .busy: s.busy += 1
            case .rejected(let why): s.rejected += 1; Self.note("rejected: \(why)", in: &s)
            case .failed(let why): s.failed += 1; Self.note("failed: \(why)", in: &s)
            }
        }
    }

    private static func note(_ reason: String, in s: inout Snapshot) {
        if s.reasons[reason] != nil || s.reasons.count < maxReasons { s.reasons[reason, default: 0] += 1 } else { s.reasons["other", default: 0] += 1 }
    }

    /// A block from the commit stream, seen at `nanos`: marks this run's transactions in it committed.
    /// Blocks must come in height order from the stream's start height.
    func blockCommitted(_ block: Block, at nanos: UInt64) {
        state.withLock { s in
            precondition(block.header.height == s.nextHeight, "commit stream gave height \(block.header.height), expected \(s.nextHeight)")
            s.nextHeight += 1
            s.blocks += 1
            s.blockTransactions += block.transactions.count
            s.largestBlock = max(s.largestBlock, block.transactions.count)
            if s.firstBlockMillis == 0 { s.firstBlockMillis = block.header.timeMillis }
            else {
                s.blockGapsMillis.append(block.header.timeMillis &- s.lastBlockMillis)
                s.blockGapHeights.append(block.header.height)
            }
            s.lastBlockMillis = block.header.timeMillis
            for tx in block.transactions {
                guard let i = LoadNonce.index(tx.body.nonce, runTag: runTag), i < s.committedAt.count,
                      s.sentAt[i] != 0, s.committedAt[i] == 0 else { continue }
                s.committedAt[i] = nanos
                s.committed += 1
            }
        }
    }

    /// The next height the commit stream should deliver (where to resume after a disconnect).
    var nextHeight: UInt64 { state.withLock { $0.nextHeight } }

    /// Committed and accepted counts so far (for the drain loop).
    var progress: (committed: Int, accepted: Int) { state.withLock { ($0.committed, $0.accepted) } }

    /// A copy of everything recorded.
    func snapshot() -> Snapshot { state.withLock { $0 } }
}

/// The monotonic clock of `citychain-bench load`, in nanoseconds.
enum LoadClock {
    /// Now, in nanoseconds since an arbitrary start.
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
