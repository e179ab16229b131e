import CityEncoding
import CityLedger
import Testing
@testable import CityValidator

@Suite struct SignerStateTests {
    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
    /// A stand-in signer whose signature names what it signed, counting calls.
    final class CountingSigner {
        var calls = 0
        func sign(_ message: [UInt8]) -> [UInt8] { calls += 1; return Self.signature(message) }
        static func signature(_ message: [UInt8]) -> [UInt8] { Hash32.sha256(message).bytes }
    }

    @Test func decideSignsForwardResendsTheSameAndRefusesConflictsAndRegressions() throws {
        var s = SignerState()
        #expect(try s.maySign(height: 5, round: 0, step: .prevote, signBytes: Self.bytes("A")) == .sign)
        s.record(.init(height: 5, round: 0, step: .prevote, signBytes: Self.bytes("A"), signature: [1]))
        #expect(try s.maySign(height: 5, round: 0, step: .prevote, signBytes: Self.bytes("A")) == .resend(signature: [1]))
        let conflict = #expect(throws: SignerStateError.self) { try s.maySign(height: 5, round: 0, step: .prevote, signBytes: Self.bytes("B")) }
        #expect(conflict?.code == .conflict)
        for (h, r, step) in [(5 as UInt64, 0 as UInt32, SignStep.propose), (4, 9, .precommit)] {
            let back = #expect(throws: SignerStateError.self) { try s.maySign(height: h, round: r, step: step, signBytes: Self.bytes("A")) }
            #expect(back?.code == .regression)
        }
        #expect(try s.maySign(height: 5, round: 0, step: .precommit, signBytes: Self.bytes("C")) == .sign)
        #expect(try s.maySign(height: 5, round: 1, step: .propose, signBytes: Self.bytes("D")) == .sign)
        #expect(try s.maySign(height: 6, round: 0, step: .propose, signBytes: Self.bytes("E")) == .sign)
    }

    @Test func theStoreRefusesAConflictBeforeAndAfterReload() throws {
        let dir = TempDir()
        let path = dir.file("signer.state")
        let signer = CountingSigner()
        do {
            let store = try SignerStateStore.open(path: path)
            let sig = try store.sign(height: 7, round: 2, step: .prevote, signBytes: Self.bytes("vote A"), using: signer.sign)
            #expect(sig == CountingSigner.signature(Self.bytes("vote A")))
            let again = try store.sign(height: 7, round: 2, step: .prevote, signBytes: Self.bytes("vote A"), using: signer.sign)
            #expect(again == sig)
            #expect(signer.calls == 1)
            let e = #expect(throws: SignerStateError.self) {
                try store.sign(height: 7, round: 2, step: .prevote, signBytes: Self.bytes("vote B"), using: signer.sign)
            }
            #expect(e?.code == .conflict)
            store.close()
        }
        let store = try SignerStateStore.open(path: path)
        #expect(store.state.last?.height == 7)
        let e = #expect(throws: SignerStateError.self) {
            try store.sign(height: 7, round: 2, step: .prevote, signBytes: Self.bytes("vote B"), using: signer.sign)
        }
        #expect(e?.code == .conflict)
        let back = #expect(throws: SignerStateError.self) {
            try store.sign(height: 7, round: 1, step: .precommit, signBytes: Self.bytes("old"), using: signer.sign)
        }
        #expect(back?.code == .regression)
        #expect(try store.sign(height: 7, round: 2, step: .prevote, signBytes: Self.bytes("vote A"), using: signer.sign)
                == CountingSigner.signature(Self.bytes("vote A")))
        #expect(signer.calls == 1)
    }

    @Test func aCrashInsideTheWriteLeavesTheOldOrTheNewStateNeverATornOne() throws {
        for crash in AtomicFile.CrashPoint.allCases {
            let dir = TempDir()
            let path = dir.file("signer.state")
            let signer = CountingSigner()
            let store = try SignerStateStore.open(path: path)
            _ = try store.sign(height: 3, round: 0, step: .prevote, signBytes: Self.bytes("old"), using: signer.sign)
            let old = store.state
            #expect(throws: SignerStateError.self) {
                try store.sign(height: 3, round: 0, step: .precommit, signBytes: Self.bytes("new"), crash: crash, using: signer.sign)
            }
            store.close()   // the "process" dies here
            let reloaded = try SignerStateStore.open(path: path).state
            switch crash {
            case .midTempWrite, .beforeRename: #expect(reloaded == old, "\(crash)")
            case .beforeDirectorySync: #expect(reloaded.last?.signBytes == Self.bytes("new"), "\(crash)")
            }
        }
    }

    @Test func aDamagedStateFileRefusesToLoad() throws {
        let dir = TempDir()
        let path = dir.file("signer.state")
        var state = SignerState()
        state.record(.init(height: 1, round: 0, step: .propose, signBytes: [1, 2, 3], signature: [4, 5]))
        let good = SignerStateFile.encode(state)
        #expect(try SignerStateFile.decode(good, path: path) == state)
        for i in 0..<good.count {
            var bad = good
            bad[i] ^= 0x10
            let e = #expect(throws: SignerStateError.self) { try SignerStateFile.decode(bad, path: path) }
            #expect(e?.code == .badStateFile)
        }
        dir.write(Array(good.prefix(good.count - 1)), "signer.state")
        let e = #expect(throws: SignerStateError.self) { try SignerStateStore.open(path: path) }
        #expect(e?.code == .badStateFile)
    }

    @Test func aSecondOpenerIsRefusedByTheLock() throws {
        let dir = TempDir()
        let first = try SignerStateStore.open(path: dir.file("signer.state"))
        let e = #expect(throws: SignerStateError.self) { try SignerStateStore.open(path: dir.file("signer.state")) }
        #expect(e?.code == .locked)
        first.close()
    }
}
