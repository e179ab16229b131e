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

    /// The table's memory, for `ced25519_verify_many` (valid while this object lives).
    var pointer: UnsafeRawPointer { UnsafeRawPointer(storage) }

    /// SHA-512(R || A || M): what the verification reduces to the scalar h.
    func digest(_ signature: [UInt8], _ message: [UInt8]) -> SHA512Digest {
        var sha = SHA512()
        signature.withUnsafeBytes { sha.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<32])) }
        key.withUnsafeBytes { sha.update(bufferPointer: $0) }
        message.withUnsafeBytes { sha.update(bufferPointer: $0) }
        return sha.finalize()
    }

    /// True when `signature` (64 bytes) is a valid Ed25519 signature of `message` by this key.
    package func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard isPoint, signature.count == 64 else { return false }
        return digest(signature, message).withUnsafeBytes { d in
            signature.withUnsafeBufferPointer { s in
                ced25519_verify(storage, s.baseAddress, d.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 1
            }
        }
    }
}

extension Ed25519Tables {
    /// One verdict per (key, signature, message), each exactly `key.isValidSignature(signature,
    /// for: message)`; the checks against tables share one field inversion per 64 signatures
    /// (about a fifth of a check's cost), the rest go one by one.
    package static func verifyAll(_ items: [(key: PublicKey, signature: Signature, message: [UInt8])]) -> [Bool] {
        var results = [Bool](repeating: false, count: items.count)
        var batched: [Int] = []
        var tables: [Ed25519KeyTable] = []
        var signatures: [UInt8] = []
        var digests: [UInt8] = []
        batched.reserveCapacity(items.count)
        signatures.reserveCapacity(64 * items.count)
        digests.reserveCapacity(64 * items.count)
        for (i, item) in items.enumerated() {
            guard let table = table(for: item.key) else {
                results[i] = item.key.isValidSignature(item.signature, for: item.message)
                continue
            }
            guard table.isPoint else { continue }   // false: no signature by a non-point verifies
            batched.append(i)
            tables.append(table)
            signatures += item.signature.bytes
            table.digest(item.signature.bytes, item.message).withUnsafeBytes { digests += $0 }
        }
        guard !batched.isEmpty else { return results }
        var verdicts = [CInt](repeating: 0, count: batched.count)
        withExtendedLifetime(tables) {
            let pointers: [UnsafeRawPointer?] = tables.map(\.pointer)
            ced25519_verify_many(pointers, signatures, digests, batched.count, &verdicts)
        }
        for (k, i) in batched.enumerated() { results[i] = verdicts[k] == 1 }
        return results
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
