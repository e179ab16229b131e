import Foundation
import Glibc

/// Runs long, deferrable work (writing a ledger snapshot) on a thread of its own at a low
/// scheduling priority (nice 10), so that on a busy box the kernel runs consensus first: a
/// snapshot encoded on one of the few cooperative threads stalled every height around it (issue
/// 13: ~100 ms between blocks at height 1000 at half load, on all four validators at once).
enum LowPriorityThread {
    /// `body`'s result, computed on a new low-priority thread; the caller suspends meanwhile.
    static func run<T: Sendable>(_ name: String, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            let thread = Thread {
                // who = 0 on Linux is the calling thread (the nice value is per thread), not the process.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
                continuation.resume(returning: body())
            }
            thread.name = name
            thread.start()
        }
    }
}
