import CityConsensus
import CityEncoding

/// The simulator's block: a height, a parent link, the proposer, transaction ids and a salt (so a
/// Byzantine proposer can make two different values). Its id is computed once.
struct TestValue: ConsensusValue, CustomStringConvertible {
    let height: UInt64
    let parent: Hash32
    let proposer: UInt16
    let txs: [UInt64]
    let salt: UInt64
    let id: Hash32

    init(height: UInt64, parent: Hash32, proposer: UInt16, txs: [UInt64], salt: UInt64 = 0) {
        (self.height, self.parent, self.proposer, self.txs, self.salt) = (height, parent, proposer, txs, salt)
        var w = CanonicalWriter()
        Self.write(&w, height, parent, proposer, txs, salt)
        id = Hash32.sha256(w.bytes)
    }

    private static func write(_ w: inout CanonicalWriter, _ h: UInt64, _ p: Hash32, _ pr: UInt16, _ txs: [UInt64], _ s: UInt64) {
        w.u64(h)
        w.encode(p)
        w.u16(pr)
        w.array(txs) { w, t in w.u64(t) }
        w.u64(s)
    }

    func encode(to w: inout CanonicalWriter) { Self.write(&w, height, parent, proposer, txs, salt) }

    init(from r: inout CanonicalReader) throws(CodecError) {
        let h = try r.u64("TestValue.height")
        let p = try Hash32(from: &r)
        let pr = try r.u16("TestValue.proposer")
        let txs = try r.array(max: 1000, "TestValue.txs") { (r: inout CanonicalReader) throws(CodecError) in try r.u64("tx") }
        let s = try r.u64("TestValue.salt")
        self.init(height: h, parent: p, proposer: pr, txs: txs, salt: s)
    }

    var description: String { "v(h\(height) p\(proposer) \(txs.count)tx \(id.hex.prefix(8)))" }
}
