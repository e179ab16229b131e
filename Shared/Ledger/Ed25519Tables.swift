import CEd25519
import Crypto
import Foundation
import Synchronization

/// One public key's precomputed multiples (Shared/CEd25519: 52 rows of 16 points, 99,840 bytes):
/// a verification against it costs about a quarter of swift-crypto's (BoringSSL's) general one,
/// with the same verdict for every input (Tests/CityLedgerTests/Ed25519TablesTests checks it
/// differentially, malformed keys and signatures included).
package final class Ed25519KeyTable: @unchecked Sendable {
    // Immutable after init; read by any number of threads at once.
    private let storage: UnsafeMutableRawPointer
    /// False when the key is not a curve point: every signature by it is then invalid.
    package let isPoint: Bool
    private let key: [UInt8]

    package init(key: [UInt8]) {
        precondition(key.count == 32, "an Ed25519 public key is 32 bytes")
        self.key = key
        let storage = UnsafeMutableRawPointer.allocate(byteCount: Int(CED25519_TABLE_BYTES), alignment: 16)
        self.storage = storage
        isPoint = key.withUnsafeBufferPointer { ced25519_table_init(storage, $0.baseAddress) == 1 }
    }

    deinit { storage.deallocate() }

    /// True when `signature` (64 bytes) is a valid Ed25519 signature of `message` by this key.
    package func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard isPoint, signature.count == 64 else { return false }
        var sha = SHA512()
        signature.withUnsafeBytes { sha.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<32])) }
        key.withUnsafeBytes { sha.update(bufferPointer: $0) }
        message.withUnsafeBytes { sha.update(bufferPointer: $0) }
        let digest = sha.finalize()
        return digest.withUnsafeBytes { d in
            signature.withUnsafeBufferPointer { s in
                ced25519_verify(storage, s.baseAddress, d.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 1
            }
        }
    }
}

/// The process's tables, one per public key verified more than once (a validator sees the same
/// few dozen agency and validator keys all day). A key's first verification goes to swift-crypto;
/// from its second the table is built (~0.3 ms) and kept. At most `capacity` tables (98 KiB each);
/// past that the cache starts again empty. `CITYCHAIN_ED25519=boringssl` turns tables off (for
/// measuring against the library).
package enum Ed25519Tables {
    package static let capacity = 512
    package static let enabled: Bool = ProcessInfo.processInfo.environment["CITYCHAIN_ED25519"] != "boringssl"

    private struct State {
        var tables: [PublicKey: Ed25519KeyTable] = [:]
        var seen: Set<PublicKey> = []
    }

    private static let state = Mutex(State())

    /// The table for `key` when it has one or this is its second use; nil on its first use.
    package static func table(for key: PublicKey) -> Ed25519KeyTable? {
        guard enabled else { return nil }
        return state.withLock { s in
            if let t = s.tables[key] { return t }
            guard s.seen.contains(key) else {
                if s.seen.count >= 4 * capacity { s.seen.removeAll() }
                s.seen.insert(key)
                return nil
            }
            if s.tables.count >= capacity { s.tables.removeAll() }
            let t = Ed25519KeyTable(key: key.bytes)
            s.tables[key] = t
            return t
        }
    }

    /// Tables held now (metrics, tests).
    package static var count: Int { state.withLock { $0.tables.count } }
}
