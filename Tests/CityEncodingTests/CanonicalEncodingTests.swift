import Testing
@testable import CityEncoding

@Suite struct CanonicalEncodingTests {
    @Test func integersAreBigEndianFixedWidth() throws {
        var w = CanonicalWriter()
        w.u8(1); w.u16(0x0203); w.u32(0x0405_0607); w.u64(0x0809_0a0b_0c0d_0e0f); w.i64(-1)
        #expect(Hex.encode(w.bytes) == "01" + "0203" + "04050607" + "08090a0b0c0d0e0f" + "ffffffffffffffff")
        var r = CanonicalReader(w.bytes)
        #expect(try r.u8("a") == 1)
        #expect(try r.u16("b") == 0x0203)
        #expect(try r.u32("c") == 0x0405_0607)
        #expect(try r.u64("d") == 0x0809_0a0b_0c0d_0e0f)
        #expect(try r.i64("e") == -1)
        try r.finish("t")
    }

    @Test func stringsBytesArraysOptionalsRoundTrip() throws {
        var w = CanonicalWriter()
        w.string("parking")
        w.bytes([0xde, 0xad])
        w.array([UInt32(7), 9]) { w, v in w.u32(v) }
        w.optional(Optional<UInt8>.none) { w, v in w.u8(v) }
        w.optional(UInt8(5)) { w, v in w.u8(v) }
        w.bool(true)
        #expect(Hex.encode(w.bytes) == "00000007" + "7061726b696e67" + "00000002dead" + "00000002" + "00000007" + "00000009" + "00" + "0105" + "01")
        var r = CanonicalReader(w.bytes)
        #expect(try r.string(max: 16, "s") == "parking")
        #expect(try r.bytes(max: 2, "b") == [0xde, 0xad])
        #expect(try r.array(max: 2, "a") { (r: inout CanonicalReader) throws(CodecError) in try r.u32("x") } == [7, 9])
        #expect(try r.optional("o") { (r: inout CanonicalReader) throws(CodecError) in try r.u8("x") } == nil)
        #expect(try r.optional("o") { (r: inout CanonicalReader) throws(CodecError) in try r.u8("x") } == 5)
        #expect(try r.bool("t") == true)
        try r.finish("t")
    }

    @Test func refusesTruncatedInput() {
        var r = CanonicalReader([0x00, 0x00, 0x00, 0x05, 0x61])
        #expect(throws: CodecError.self) { _ = try r.string(max: 10, "name") }
        var r2 = CanonicalReader([0x01, 0x02])
        do { _ = try r2.u32("n"); Issue.record("expected failure") } catch { #expect(error.code == .truncated) }
    }

    @Test func refusesOverLimitCountsBeforeAllocating() {
        var r = CanonicalReader([0xff, 0xff, 0xff, 0xff])
        do { _ = try r.bytes(max: 1024, "payload"); Issue.record("expected failure") } catch {
            #expect(error.code == .overLimit)
            #expect(error.field == "payload")
        }
        var r2 = CanonicalReader([0x00, 0x00, 0x00, 0x10, 0x01])
        do {
            _ = try r2.array(max: 100, "items") { (r: inout CanonicalReader) throws(CodecError) in try r.u8("x") }
            Issue.record("expected failure")
        } catch { #expect(error.code == .truncated) }
    }

    @Test func refusesNonCanonicalBoolsOptionalsAndUTF8() {
        var r = CanonicalReader([0x02])
        do { _ = try r.bool("flag"); Issue.record("expected failure") } catch { #expect(error.code == .nonCanonical) }
        var r2 = CanonicalReader([0x07])
        do {
            _ = try r2.optional("o") { (r: inout CanonicalReader) throws(CodecError) in try r.u8("x") }
            Issue.record("expected failure")
        } catch { #expect(error.code == .nonCanonical) }
        var r3 = CanonicalReader([0x00, 0x00, 0x00, 0x01, 0xff])
        do { _ = try r3.string(max: 4, "s"); Issue.record("expected failure") } catch { #expect(error.code == .nonCanonical) }
    }

    @Test func refusesTrailingBytes() {
        #expect(throws: CodecError.self) { _ = try Hash32(canonicalBytes: [UInt8](repeating: 1, count: 33)) }
        do { _ = try Hash32(canonicalBytes: [UInt8](repeating: 1, count: 33)) } catch { #expect(error.code == .trailingBytes) }
    }

    @Test func hashKnownAnswerAndBits() throws {
        // SHA-256("abc"), FIPS 180-2 test vector.
        let h = Hash32.sha256(Array("abc".utf8))
        #expect(h.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try Hash32(canonicalBytes: h.bytes) == h)
        #expect(Hash32(hex: h.hex) == h)
        #expect(h.bit(0) == true)   // 0xba = 1011 1010
        #expect(h.bit(1) == false)
        #expect(h.bit(255) == true) // 0xad = ...1101
        #expect(Hash32.zero < h)
        #expect(Hash32.sha256(parts: [Array("a".utf8), Array("bc".utf8)]) == h)
    }

    /// Every way of reading 32 bytes gives the same hash: an array, a slice, a collection without
    /// contiguous storage, raw memory, and a concatenated list.
    @Test func hashFromBytesEveryWay() {
        let h = Hash32.sha256(Array("abc".utf8))
        let bytes = h.bytes
        #expect(Hash32(bytes: bytes) == h)
        #expect(Hash32(bytes: ([0xFF] + bytes + [0xEE])[1...32]) == h, "a slice not starting at 0")
        #expect(Hash32(bytes: bytes.reversed().reversed()) == h, "no contiguous storage")
        #expect(bytes.withUnsafeBytes { Hash32(raw: $0) } == h)
        #expect(Hash32(bytes: bytes.dropLast()) == nil && Hash32(bytes: bytes + [0]) == nil)
        let many = (0..<100).map { Hash32.sha256([UInt8($0)]) }
        #expect(Hash32.list(concatenated: many.flatMap(\.bytes)) == many)
        #expect(Hash32.list(concatenated: []) == [])
        #expect(Hash32.list(concatenated: [UInt8](repeating: 0, count: 33)) == nil)
    }

    @Test func hexRejectsMalformed() {
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.decode("de ad\nBE ef") == [0xde, 0xad, 0xbe, 0xef])
    }
}
