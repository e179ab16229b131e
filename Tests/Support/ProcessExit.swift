import Foundation

/// Waits for `process` to exit, at most `seconds`; true if it exited. The wait is on the exit
/// itself, not a sleep loop: one thread of its own per process waits in `waitUntilExit` and wakes
/// every waiter, however many time out and ask again; the timeout is a dispatch timer. The one way
/// tests wait for a child process to end.
public func waitForExit(_ process: Process, seconds: Double) async -> Bool {
    guard process.isRunning else { return true }
    let once = ResumeOnce()
    return await withCheckedContinuation { continuation in
        once.arm(continuation)
        ExitWatch.shared.onExit(of: process) { once.resume(true) }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { once.resume(false) }   // the deadline
    }
}

/// One `waitUntilExit` thread per watched process, and the callbacks to run when it exits.
/// The threads are Foundation `Thread`s, not dispatch's global queue: that queue has as many
/// threads as cores, and Foundation notices a child's exit (SIGCHLD) on it. Four validators watched
/// at once on 2 cores blocked every one of its threads in `waitUntilExit`, so no exit was ever
/// noticed and no timeout fired: the wait hung for good (seen in RollingRestartTests).
private final class ExitWatch: @unchecked Sendable {
    static let shared = ExitWatch()
    private let lock = NSLock()
    private var waiting: [ObjectIdentifier: [@Sendable () -> Void]] = [:]

    func onExit(of process: Process, _ callback: @escaping @Sendable () -> Void) {
        let key = ObjectIdentifier(process)
        lock.lock()
        let first = waiting[key] == nil
        waiting[key, default: []].append(callback)
        lock.unlock()
        guard first else { return }
        let box = UncheckedProcess(process)
        Thread {
            box.process.waitUntilExit()
            self.lock.lock()
            let callbacks = self.waiting.removeValue(forKey: key) ?? []
            self.lock.unlock()
            for c in callbacks { c() }
        }.start()
    }
}

private struct UncheckedProcess: @unchecked Sendable {
    let process: Process
    init(_ p: Process) { process = p }
}

/// SIGTERM (or `signal`), then waits up to `seconds` for the exit; a process still running then is
/// killed with SIGKILL and reaped. Returns the exit status (or the terminating signal).
@discardableResult
public func stopProcess(_ process: Process, signal: Int32 = SIGTERM, seconds: Double = 15) async -> Int32 {
    if process.isRunning {
        kill(process.processIdentifier, signal)
        if !(await waitForExit(process, seconds: seconds)) {
            kill(process.processIdentifier, SIGKILL)
            _ = await waitForExit(process, seconds: 30)
        }
    }
    return process.terminationStatus
}

/// A continuation resumed by whichever of two events comes first.
private final class ResumeOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Bool, Never>?
    private var early: Bool?

    func arm(_ c: CheckedContinuation<Bool, Never>) {
        lock.lock()
        if let value = early { lock.unlock(); c.resume(returning: value); return }
        continuation = c
        lock.unlock()
    }

    func resume(_ value: Bool) {
        lock.lock()
        guard let c = continuation else {
            if early == nil { early = value }
            lock.unlock(); return
        }
        continuation = nil
        lock.unlock()
        c.resume(returning: value)
    }
}
