import CityLedger
import Crypto

/// The table verifier (Shared/CEd25519) against swift-crypto's Ed25519, input by input: the two must
/// give the same verdict, or validators using one and clients using the other disagree on what is
/// signed (docs/protocol/fuzzing.md, "ed25519-table").
///
/// Input: a mode byte, then
/// - mode 0 (signed, then damaged): 32 bytes of private-key seed, a damage count k, k pairs
///   (position, xor) applied to the 96 bytes key || signature, then the message. Most inputs are a
///   valid signature with a few bytes changed, the neighbourhood where a wrong field or scalar step
///   would show.
/// - mode 1 (raw): 32 bytes of key, 64 of signature, then the message.
/// - mode 2 (small order): a key and an R among small-order points' encodings (canonical or not), S from the next 32 bytes with its top bits cleared, then the message.
enum Ed25519Oracle {
    static let smallOrder: [[UInt8]] = {
        func enc(_ first: UInt8, _ last: UInt8, fill: UInt8 = 0) -> [UInt8] {
            var b = [UInt8](repeating: fill, count: 32); b[0] = first; b[31] = last; return b
        }
        return [enc(0x01, 0x00), enc(0x01, 0x80), enc(0xec, 0x7f, fill: 0xff), enc(0xee, 0x7f, fill: 0xff),
                enc(0xed, 0x7f, fill: 0xff), enc(0x00, 0x00), enc(0x00, 0x80),
                [0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
                 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05]]
    }()

    static func check(_ input: [UInt8]) {
        guard let mode = input.first else { return }
        var rest = input.dropFirst()
        func take(_ n: Int) -> [UInt8]? {
            guard rest.count >= n else { return nil }
            defer { rest = rest.dropFirst(n) }
            return Array(rest.prefix(n))
        }
        let key: [UInt8], signature: [UInt8]
        switch mode % 3 {
        case 0:
            guard let seed = take(32), let count = take(1),
                  let sk = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else { return }
            var bytes: [UInt8] = []
            for _ in 0..<min(Int(count[0]) % 8, rest.count / 2) { bytes += take(2)! }
            let message = Array(rest)
            guard let sig = try? sk.signature(for: message) else { return }
            var all = Array(sk.publicKey.rawRepresentation) + Array(sig)
            for i in stride(from: 0, to: bytes.count, by: 2) { all[Int(bytes[i]) % 96] ^= bytes[i + 1] }
            compare(key: Array(all[0..<32]), signature: Array(all[32..<96]), message: message, input: input)
            return
        case 1:
            guard let k = take(32), let s = take(64) else { return }
            key = k
            signature = s
        default:
            guard let picks = take(2), var s = take(32) else { return }
            s[31] &= 0x0f
            key = smallOrder[Int(picks[0]) % smallOrder.count]
            signature = smallOrder[Int(picks[1]) % smallOrder.count] + s
        }
        compare(key: key, signature: signature, message: Array(rest), input: input)
    }

    static func compare(key: [UInt8], signature: [UInt8], message: [UInt8], input: [UInt8]) {
        let library = (try? Curve25519.Signing.PublicKey(rawRepresentation: key))?.isValidSignature(signature, for: message) ?? false
        let table = Ed25519KeyTable(key: key).isValidSignature(signature, for: message)
        if library != table {
            Oracle.fail("ed25519-table", "the table says \(table), swift-crypto says \(library) for key \(Oracle.hex(key)) "
                        + "signature \(Oracle.hex(signature)) message of \(message.count) bytes", input)
        }
        // The batched path (one inversion for many), twice: a key's first use goes to swift-crypto.
        guard let k = try? PublicKey(bytes: key), let s = try? Signature(bytes: signature) else { return }
        for _ in 0..<2 where Ed25519Tables.verifyAll([(k, s, message), (k, s, message)]) != [library, library] {
            Oracle.fail("ed25519-table", "verifyAll disagrees with swift-crypto (\(library)) for key \(Oracle.hex(key))", input)
        }
    }
}
