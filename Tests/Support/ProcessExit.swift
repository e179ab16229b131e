import Foundation

/// Waits for `process` to exit, at most `seconds`; true if it exited. The wait is on the exit
/// itself (`waitUntilExit` on a dispatch thread, off the cooperative pool), not a sleep loop: the
/// one way tests wait for a child process to end.
public func waitForExit(_ process: Process, seconds: Double) async -> Bool {
    guard process.isRunning else { return true }
    let once = ResumeOnce()
    return await withCheckedContinuation { continuation in
        once.arm(continuation)
        DispatchQueue.global().async {
            process.waitUntilExit()
            once.resume(true)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { once.resume(false) }
    }
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
