import CityConsensus
import CityEncoding
import CityLedger

/// One message between validators.
///
/// Encoding: u8 tag, then 1 Proposal<Block> | 2 Vote | 3 SignedTransaction | 4 u64 committed height |
/// 5 Equivocation | 6 CompactProposal.
package enum GossipItem: Hashable, Sendable, CanonicalCodable {
    /// A signed proposal (the receiver verifies the signature before consensus sees it).
    case proposal(Proposal<Block>)
    /// A signed prevote or precommit.
    case vote(Vote)
    /// A transaction the sender admitted to its mempool.
    case transaction(SignedTransaction)
    /// The sender's committed height, so a lagging receiver knows to sync.
    case height(UInt64)
    /// Equivocation evidence the sender holds, for the next block proposer to include.
    case evidence(Equivocation)
    /// A proposal by its transactions' ids (what validators send: followers hold most of them).
    case compactProposal(CompactProposal)

    package func encode(to w: inout CanonicalWriter) {
        switch self {
        case .proposal(let p): w.u8(1); w.encode(p)
        case .vote(let v): w.u8(2); w.encode(v)
        case .transaction(let t): w.u8(3); w.encode(t)
        case .height(let h): w.u8(4); w.u64(h)
        case .evidence(let e): w.u8(5); w.encode(e)
        case .compactProposal(let c): w.u8(6); w.encode(c)
        }
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let tag = try r.u8("GossipItem")
        switch tag {
        case 1: self = .proposal(try r.decode())
        case 2: self = .vote(try r.decode())
        case 3: self = .transaction(try r.decode())
        case 4: self = .height(try r.u64("GossipItem.height"))
        case 5: self = .evidence(try r.decode())
        case 6: self = .compactProposal(try r.decode())
        default: throw .unknownTag("GossipItem", tag)
        }
    }
}

/// The items of one gossip stream frame, in the order the sender produced them.
///
/// Encoding: array<GossipItem> (1…`maxItems`).
@MemberwiseInit
package struct GossipBatch: Hashable, Sendable, CanonicalCodable {
    /// Most items in one batch.
    package static let maxItems = 8192
    /// The items.
    package var items: [GossipItem]

    package func encode(to w: inout CanonicalWriter) { w.array(items) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        items = try r.array(max: Self.maxItems, "GossipBatch.items")
        guard !items.isEmpty else { throw CodecError(.invalidValue, field: "GossipBatch.items", "a batch has at least one item") }
    }
}

/// Opens a gossip stream: the caller receives what this validator broadcasts. `advertise` is the
/// caller's own wire address (HOST:PORT), so the server can subscribe back to it (the mesh
/// stays symmetric when a new validator or observer joins).
///
/// Encoding: string name (≤ 128), string advertise (≤ 256; empty when not reachable), u64 height.
@MemberwiseInit
package struct GossipSubscribe: Hashable, Sendable, CanonicalCodable {
    /// The caller's node name (its certificate name).
    package var name: String
    /// Where the caller serves the wire protocol, or empty.
    package var advertise: String
    /// The caller's committed height.
    package var height: UInt64

    package func encode(to w: inout CanonicalWriter) { w.string(name); w.string(advertise); w.u64(height) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        name = try r.string(max: 128, "GossipSubscribe.name")
        advertise = try r.string(max: 256, "GossipSubscribe.advertise")
        height = try r.u64("GossipSubscribe.height")
    }
}
