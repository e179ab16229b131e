import CityEncoding
import CityLedger
import CityWire

extension IndexerAPI {
    /// A live feed of committed record changes: `FeedRequest` → stream of `FeedEvent` (docs/protocol/feeds.md).
    package static let feed = MessageKind(.indexer, 0x09)
    /// A feed relayed by a gateway for the agency it authenticated: `ForwardedFeed` → stream of `FeedEvent`. Gateways only.
    package static let forwardedFeed = MessageKind(.indexer, 0x0A)
    /// Most datasets one feed follows.
    package static let maxFeedDatasets = 16
}

/// Where a feed starts: before the first block, at the indexed height now, or after a cursor a
/// previous feed delivered (a change's or a heartbeat's).
///
/// Encoding: u8 tag, 0 beginning | 1 now | 2 then ChainCursor.
package enum FeedStart: Hashable, Sendable, CanonicalCodable, CustomStringConvertible {
    /// Every change from block 1.
    case beginning
    /// Changes committed from now on (the first event is a heartbeat with the cursor of "now").
    case now
    /// Changes strictly after this cursor (resume: the last cursor received).
    case after(ChainCursor)

    /// `beginning`, `now` or `H.I`.
    package var description: String {
        switch self {
        case .beginning: "beginning"
        case .now: "now"
        case .after(let c): c.description
        }
    }

    /// Reads `beginning`, `now` or `HEIGHT.INDEX`.
    package init?(text: String) {
        switch text {
        case "beginning", "start": self = .beginning
        case "now": self = .now
        default:
            guard let c = ChainCursor(text: text) else { return nil }
            self = .after(c)
        }
    }

    package func encode(to w: inout CanonicalWriter) {
        switch self {
        case .beginning: w.u8(0)
        case .now: w.u8(1)
        case .after(let c): w.u8(2); w.encode(c)
        }
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let tag = try r.u8("FeedStart")
        switch tag {
        case 0: self = .beginning
        case 1: self = .now
        case 2: self = .after(try r.decode())
        default: throw .unknownTag("FeedStart", tag)
        }
    }
}

/// A subscription: the changes (record versions) of `datasets`, optionally of one subject and
/// matching every JSON predicate, in chain order from `start`.
///
/// Encoding: array<DatasetID> datasets (1…16, no repeats), optional<SubjectKey> subject,
/// array<FieldPredicate> predicates (≤ 8), FeedStart start, string purpose (≤ 256 bytes; required
/// when a dataset is internal or restricted).
package struct FeedRequest: Hashable, Sendable, CanonicalCodable {
    package var datasets: [DatasetID]
    package var subject: SubjectKey?
    package var predicates: [FieldPredicate]
    package var start: FeedStart
    package var purpose: String

    package init(datasets: [DatasetID], subject: SubjectKey? = nil, predicates: [FieldPredicate] = [], start: FeedStart = .now,
                 purpose: String = "") {
        self.datasets = datasets
        self.subject = subject
        self.predicates = predicates
        self.start = start
        self.purpose = purpose
    }

    package func encode(to w: inout CanonicalWriter) {
        w.array(datasets); w.optional(subject); w.array(predicates); w.encode(start); w.string(purpose)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        datasets = try r.array(max: IndexerAPI.maxFeedDatasets, "FeedRequest.datasets")
        guard !datasets.isEmpty else { throw CodecError(.invalidValue, field: "FeedRequest.datasets", "name at least one dataset") }
        guard Set(datasets).count == datasets.count else {
            throw CodecError(.invalidValue, field: "FeedRequest.datasets", "a dataset is named twice")
        }
        subject = try r.optional("FeedRequest.subject")
        predicates = try r.array(max: IndexerAPI.maxPredicates, "FeedRequest.predicates")
        start = try r.decode()
        purpose = try r.string(max: IndexerAPI.maxPurposeBytes, "FeedRequest.purpose")
    }
}

/// A feed relayed by a gateway: the agency it authenticated and that agency's request. The indexer
/// applies its access rules, purposes and disclosure records to `agency`.
///
/// Encoding: AgencyID agency, FeedRequest request.
@MemberwiseInit
package struct ForwardedFeed: Hashable, Sendable, CanonicalCodable {
    package var agency: AgencyID
    package var request: FeedRequest

    package func encode(to w: inout CanonicalWriter) { w.encode(agency); w.encode(request) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        agency = try r.decode()
        request = try r.decode()
    }
}

/// Why the indexer ended a feed. Every end names the cursor to resume from (the last one
/// delivered), so a client that may still read resumes there with no gap and no duplicate.
///
/// Encoding: u8 reason, ChainCursor resumeAfter, string message (≤ 1024 bytes).
package struct FeedEnd: Hashable, Sendable, CanonicalCodable, CustomStringConvertible {
    /// The reasons. Encoding: u8.
    package enum Reason: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// The agency no longer holds a grant on a dataset of the feed (revoked). Do not resume.
        case accessRevoked = 1
        /// The agency's grant on a dataset of the feed expired. Renew it, then resume.
        case grantExpired = 2
        /// The subscriber read too slowly: its buffer on the indexer filled up. Resume (read faster).
        case tooSlow = 3
        /// The indexer is shutting down. Resume, on it once it is back or on another indexer.
        case indexerStopping = 4
        /// The feed reached the longest time an indexer serves one feed. Resume.
        case expired = 5

        /// Whether resuming from the cursor can succeed without anything changing on the chain.
        package var resumable: Bool { self == .tooSlow || self == .indexerStopping || self == .expired }

        package var description: String {
            switch self {
            case .accessRevoked: "accessRevoked"
            case .grantExpired: "grantExpired"
            case .tooSlow: "tooSlow"
            case .indexerStopping: "indexerStopping"
            case .expired: "expired"
            }
        }
    }

    package static let maxMessageBytes = 1024

    package var reason: Reason
    /// The last cursor delivered (or the start's): resume after it.
    package var resumeAfter: ChainCursor
    /// What happened and what to do.
    package var message: String

    package init(_ reason: Reason, resumeAfter: ChainCursor, message: String) {
        self.reason = reason
        self.resumeAfter = resumeAfter
        // Cut at a character boundary: a cut inside one would not fit once re-encoded.
        var cut = ""
        for ch in message {
            guard cut.utf8.count + ch.utf8.count <= Self.maxMessageBytes else { break }
            cut.append(ch)
        }
        self.message = cut
    }

    package var description: String { "\(reason) (resume after \(resumeAfter)): \(message)" }

    package func encode(to w: inout CanonicalWriter) { w.u8(reason.rawValue); w.encode(resumeAfter); w.string(message) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let raw = try r.u8("FeedEnd.reason")
        guard let reason = Reason(rawValue: raw) else { throw .unknownTag("FeedEnd.reason", raw) }
        self.reason = reason
        resumeAfter = try r.decode()
        message = try r.string(max: Self.maxMessageBytes, "FeedEnd.message")
    }
}

/// One item of a feed stream, in chain order.
///
/// Encoding: u8 tag, then 1 ProvenTransaction (a change; its cursor is its height and position) |
/// 2 ChainCursor (heartbeat: everything up to it is delivered; index 4294967295 = the whole block) |
/// 3 FeedEnd (the last item; the stream then ends).
package enum FeedEvent: Hashable, Sendable, CanonicalCodable {
    /// A committed change, with its inclusion proof and certified header.
    case change(ProvenTransaction)
    /// Nothing more matched up to this cursor; resuming after it loses nothing.
    case heartbeat(ChainCursor)
    /// The indexer ends the feed.
    case end(FeedEnd)

    /// The cursor to resume after once this event is handled (nil for an end: use its `resumeAfter`).
    package var cursor: ChainCursor? {
        switch self {
        case .change(let p): p.cursor
        case .heartbeat(let c): c
        case .end: nil
        }
    }

    package func encode(to w: inout CanonicalWriter) {
        switch self {
        case .change(let p): w.u8(1); w.encode(p)
        case .heartbeat(let c): w.u8(2); w.encode(c)
        case .end(let e): w.u8(3); w.encode(e)
        }
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let tag = try r.u8("FeedEvent")
        switch tag {
        case 1: self = .change(try r.decode())
        case 2: self = .heartbeat(try r.decode())
        case 3: self = .end(try r.decode())
        default: throw .unknownTag("FeedEvent", tag)
        }
    }
}

extension ChainCursor {
    /// The cursor after every transaction of block `height` (what a heartbeat at that height carries).
    package static func endOf(height: UInt64) -> ChainCursor { ChainCursor(height: height, index: .max) }
}
