import Glibc

/// The persisted signer state (docs/STORAGE.md, "Signer state"): every new signature is
/// written to disk atomically (temp file, fsync, rename, directory fsync) before `sign` returns
/// it, so a signature never leaves the process unless a restart will remember it. A lock file
/// keeps a second process from signing with the same state.
package final class SignerStateStore {
    /// The state file's path.
    package let path: String
    /// The state as last persisted.
    package private(set) var state: SignerState
    private let lock: StorageFile

    private init(path: String, state: SignerState, lock: StorageFile) {
        self.path = path
        self.state = state
        self.lock = lock
    }

    /// Opens the state at `path` (a missing file is a validator that never signed), taking the
    /// lock `<path>.lock`. A damaged file refuses with `.badStateFile`; the node must not guess.
    package static func open(path: String) throws(SignerStateError) -> SignerStateStore {
        do {
            let lock = try StorageFile(path: path + ".lock", create: true)
            try lock.lockExclusive()
            guard let bytes = try AtomicFile.read(path) else {
                return SignerStateStore(path: path, state: SignerState(), lock: lock)
            }
            return SignerStateStore(path: path, state: try SignerStateFile.decode(bytes, path: path), lock: lock)
        } catch let e as BlockStoreError {
            throw SignerStateError(e.code == .locked ? .locked : .storage, e.description)
        } catch let e as SignerStateError {
            throw e
        } catch {
            throw SignerStateError(.storage, "\(error)")
        }
    }

    /// Releases the lock; the state stays on disk.
    package func close() { lock.close() }

    /// The signature to send for `signBytes` at `height`/`round`/`step`: the stored one if these
    /// exact bytes were already signed, else a new one from `signer`, persisted before it is
    /// returned. Refuses (`.conflict`, `.regression`) anything that could equivocate.
    package func sign(height: UInt64, round: UInt32, step: SignStep, signBytes: [UInt8],
                      using signer: ([UInt8]) throws -> [UInt8]) throws(SignerStateError) -> [UInt8] {
        try sign(height: height, round: round, step: step, signBytes: signBytes, crash: nil, using: signer)
    }

    /// `sign` with a simulated crash inside the atomic write (tests only); a crash throws `.storage`.
    func sign(height: UInt64, round: UInt32, step: SignStep, signBytes: [UInt8], crash: AtomicFile.CrashPoint?,
              using signer: ([UInt8]) throws -> [UInt8]) throws(SignerStateError) -> [UInt8] {
        guard signBytes.count <= StorageLimits.maxSignBytes else {
            throw SignerStateError(.tooLarge, "\(signBytes.count) bytes to sign is over maxSignBytes \(StorageLimits.maxSignBytes)")
        }
        if case let .resend(signature) = try state.maySign(height: height, round: round, step: step, signBytes: signBytes) {
            return signature
        }
        let signature: [UInt8]
        do { signature = try signer(signBytes) } catch { throw SignerStateError(.signingFailed, "\(error); nothing was sent") }
        guard signature.count <= StorageLimits.maxSignatureBytes else {
            throw SignerStateError(.tooLarge, "signature of \(signature.count) bytes is over maxSignatureBytes")
        }
        var next = state
        next.record(SignerState.Signed(height: height, round: round, step: step, signBytes: signBytes, signature: signature))
        do { try AtomicFile.write(SignerStateFile.encode(next), to: path, crash: crash) } catch {
            throw SignerStateError(.storage, "\(error); the signature was not persisted, so it is not returned: do not send anything for this step")
        }
        if crash != nil { throw SignerStateError(.storage, "simulated crash") }
        state = next
        return signature
    }
}
