import CEd25519
import Crypto
import Testing
@testable import CityLedger

/// The table verifier (Shared/CEd25519) against swift-crypto's Ed25519 (BoringSSL), input by input:
/// valid signatures, every kind of damage, non-canonical S, keys that are no point, small-order and
/// non-canonical keys. A validator that disagreed with the library on any input could fork the chain.
@Suite struct Ed25519TablesTests {
    /// A deterministic generator, so a failure names its case.
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: next()) } }
    }

    static func library(_ key: [UInt8], _ sig: [UInt8], _ msg: [UInt8]) -> Bool {
        guard let k = try? Curve25519.Signing.PublicKey(rawRepresentation: key) else { return false }
        return k.isValidSignature(sig, for: msg)
    }

    static let order: [UInt8] = {   // L, little-endian
        var b = [UInt8](repeating: 0, count: 32)
        let words: [UInt64] = [0x5812_631a_5cf5_d3ed, 0x14de_f9de_a2f7_9cd6, 0, 0x1000_0000_0000_0000]
        for (i, w) in words.enumerated() { for j in 0..<8 { b[i * 8 + j] = UInt8(truncatingIfNeeded: w >> (8 * j)) } }
        return b
    }()

    static func add(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var carry = 0
        for i in 0..<32 { let s = Int(a[i]) + Int(b[i]) + carry; out[i] = UInt8(s & 0xff); carry = s >> 8 }
        return out
    }

    /// h mod L one bit at a time (the slow, obvious way).
    static func slowReduce(_ h: [UInt8]) -> [UInt8] {
        var r = [UInt8](repeating: 0, count: 33)
        let l = order + [0]
        for bit in stride(from: 511, through: 0, by: -1) {
            var carry = (h[bit / 8] >> (bit % 8)) & 1
            for i in 0..<33 { let v = (r[i] << 1) | carry; carry = r[i] >> 7; r[i] = v }
            var geq = true
            for i in stride(from: 32, through: 0, by: -1) where r[i] != l[i] { geq = r[i] > l[i]; break }
            if geq {
                var borrow = 0
                for i in 0..<33 { let d = Int(r[i]) - Int(l[i]) - borrow; r[i] = UInt8((d + 256) & 0xff); borrow = d < 0 ? 1 : 0 }
            }
        }
        return Array(r[0..<32])
    }

    @Test func reductionModuloTheOrderMatchesTheSlowWay() {
        var rng = Rng(state: 1)
        var cases: [[UInt8]] = [[UInt8](repeating: 0, count: 64), [UInt8](repeating: 0xff, count: 64),
                                Self.order + [UInt8](repeating: 0, count: 32)]
        for _ in 0..<300 { cases.append(rng.bytes(64)) }
        for h in cases {
            var out = [UInt8](repeating: 0, count: 32)
            ced25519_reduce(&out, h)
            #expect(out == Self.slowReduce(h), "h = \(h)")
        }
    }

    @Test func validSignaturesVerifyAndDamagedOnesDoNotExactlyAsTheLibrarySays() throws {
        var rng = Rng(state: 2)
        for round in 0..<120 {
            let sk = Curve25519.Signing.PrivateKey()
            let pk = Array(sk.publicKey.rawRepresentation)
            let table = Ed25519KeyTable(key: pk)
            #expect(table.isPoint)
            for n in 0..<4 {
                let msg = rng.bytes(Int(rng.next() % 600))
                let sig = Array(try sk.signature(for: msg))
                #expect(table.isValidSignature(sig, for: msg), "round \(round).\(n)")
                // One bit of the signature, then of the message, flipped.
                var bad = sig
                let bit = Int(rng.next() % 512)
                bad[bit / 8] ^= 1 << (bit % 8)
                #expect(table.isValidSignature(bad, for: msg) == Self.library(pk, bad, msg), "sig bit \(bit)")
                #expect(!table.isValidSignature(bad, for: msg))
                if !msg.isEmpty {
                    var m = msg
                    m[Int(rng.next() % UInt64(m.count))] ^= 0x01
                    #expect(!table.isValidSignature(sig, for: m) && !Self.library(pk, sig, m))
                }
                // S + L is the same scalar, refused as non-canonical by both.
                let sPlusL = Self.add(Array(sig[32..<64]), Self.order)
                let malleable = Array(sig[0..<32]) + sPlusL
                #expect(!table.isValidSignature(malleable, for: msg) && !Self.library(pk, malleable, msg))
                // Another key's table refuses it.
                let other = Ed25519KeyTable(key: Array(Curve25519.Signing.PrivateKey().publicKey.rawRepresentation))
                #expect(!other.isValidSignature(sig, for: msg))
            }
        }
    }

    @Test func sAtOrAboveTheOrderIsRefused() throws {
        let sk = Curve25519.Signing.PrivateKey()
        let pk = Array(sk.publicKey.rawRepresentation)
        let table = Ed25519KeyTable(key: pk)
        let msg: [UInt8] = Array("x".utf8)
        let sig = Array(try sk.signature(for: msg))
        for s in [Self.order, [UInt8](repeating: 0xff, count: 32), Self.add(Self.order, [1] + [UInt8](repeating: 0, count: 31))] {
            let forged = Array(sig[0..<32]) + s
            #expect(table.isValidSignature(forged, for: msg) == Self.library(pk, forged, msg))
            #expect(!table.isValidSignature(forged, for: msg))
        }
    }

    @Test func randomKeysAndSpecialPointsGetTheLibrarysVerdict() {
        var rng = Rng(state: 3)
        // Random 32-byte strings: about half are no point; none has a valid signature here.
        var points = 0
        for _ in 0..<200 {
            let key = rng.bytes(32)
            let table = Ed25519KeyTable(key: key)
            if table.isPoint { points += 1 }
            let sig = rng.bytes(32) + [UInt8](repeating: 0, count: 31) + [0]
            let msg = rng.bytes(40)
            #expect(table.isValidSignature(sig, for: msg) == Self.library(key, sig, msg))
        }
        #expect(points > 50 && points < 150, "\(points) of 200 random strings decoded as points")

        // Small-order and non-canonical keys, with R chosen among small-order encodings and S = 0,
        // where the verdict depends on h's parity: both must agree message by message.
        let zero = [UInt8](repeating: 0, count: 32)
        func enc(_ first: UInt8, _ last: UInt8, fill: UInt8 = 0) -> [UInt8] {
            var b = [UInt8](repeating: fill, count: 32); b[0] = first; b[31] = last; return b
        }
        let keys: [[UInt8]] = [
            enc(0x01, 0x00),                 // identity (0, 1)
            enc(0x01, 0x80),                 // identity with the sign bit set (x = 0)
            enc(0xec, 0x7f, fill: 0xff),     // (0, -1), order 2
            enc(0xee, 0x7f, fill: 0xff),     // y = p + 1: identity, not canonical
            enc(0xed, 0x7f, fill: 0xff),     // y = p: y = 0, order 4
            enc(0x00, 0x00),                 // y = 0
            enc(0x00, 0x80),
        ]
        var agreedTrue = 0
        for key in keys {
            let table = Ed25519KeyTable(key: key)
            for r in keys + [rng.bytes(32)] {
                for n in 0..<6 {
                    let msg = rng.bytes(8 + n)
                    let sig = r + zero
                    let mine = table.isValidSignature(sig, for: msg)
                    #expect(mine == Self.library(key, sig, msg), "key \(key) R \(r) msg \(msg)")
                    if mine { agreedTrue += 1 }
                }
            }
        }
        #expect(agreedTrue > 0, "no small-order case was valid: the special keys were not exercised")
    }

    @Test func manyAtOnceGiveEachOnesVerdict() throws {
        var rng = Rng(state: 4)
        let signers = (0..<5).map { _ in Curve25519.Signing.PrivateKey() }
        var items: [(key: PublicKey, signature: Signature, message: [UInt8])] = []
        // 150 items: over two chunks of 64, valid and damaged mixed, keys seen for the first time
        // (no table yet), a key that is no point, S >= L.
        for n in 0..<150 {
            let sk = signers[n % signers.count]
            let msg = rng.bytes(Int(rng.next() % 300))
            var sig = Array(try sk.signature(for: msg))
            switch n % 7 {
            case 1: sig[Int(rng.next() % 64)] ^= 0x20
            case 3: sig = Array(sig[0..<32]) + Self.add(Array(sig[32..<64]), Self.order)
            default: break
            }
            let key = n % 11 == 5 ? PublicKey(Curve25519.Signing.PrivateKey().publicKey) : PublicKey(sk.publicKey)
            items.append((key, try Signature(bytes: sig), msg))
        }
        items.append((try PublicKey(bytes: [UInt8](repeating: 0, count: 31) + [0x80]), items[0].signature, items[0].message))
        items.append((try PublicKey(bytes: [2] + [UInt8](repeating: 0, count: 31)), items[0].signature, items[0].message))
        let expected = items.map { Self.library($0.key.bytes, $0.signature.bytes, $0.message) }
        #expect(expected.contains(true) && expected.contains(false))
        for _ in 0..<2 {   // the second time every repeated key has its table
            #expect(Ed25519Tables.verifyAll(items) == expected)
        }
        #expect(Ed25519Tables.verifyAll([]) == [])
    }

    @Test func aKeySecondUseBuildsItsTableAndTheVerdictHolds() throws {
        let sk = Curve25519.Signing.PrivateKey()
        let pk = PublicKey(sk.publicKey)
        let msg: [UInt8] = Array(repeating: 7, count: 100)
        let sig = try sk.ledgerSignature(for: msg)
        for _ in 0..<3 { #expect(pk.isValidSignature(sig, for: msg)) }
        if Ed25519Tables.enabled { #expect(Ed25519Tables.table(for: pk) != nil) }
        var bad = sig.bytes
        bad[5] ^= 4
        #expect(!pk.isValidSignature(try Signature(bytes: bad), for: msg))
    }
}
