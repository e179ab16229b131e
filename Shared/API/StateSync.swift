import CityEncoding
import CityLedger
import CityWire

/// State sync (issue 18 item 1, docs/PROTOCOL.md Part 6): a new node fetches a validator's
/// snapshot file in chunks, each checked against the hash its offer lists, then trusts the
/// assembled state only once it hashes to the state root of a certified header it trusts.
extension ValidatorAPI {
    /// The snapshots a validator serves: empty → `SnapshotOffers`. Validators and indexers.
    package static let snapshots = MessageKind(.validator, 0x08)
    /// One chunk of an offered snapshot: `SnapshotChunkRequest` → `SnapshotChunk`.
    package static let snapshotChunk = MessageKind(.validator, 0x09)

    /// Bytes per chunk (the last may be shorter): under the wire's 4 MiB frame with room to spare.
    package static let snapshotChunkBytes: UInt32 = 2 * 1024 * 1024
    /// Most chunks one snapshot may have: 8 GiB (the largest snapshot file) in 2 MiB chunks.
    package static let maxSnapshotChunks = 4096
    /// Most snapshots one offer lists.
    package static let maxSnapshotOffers = 16
}

/// One snapshot file a validator holds: the ledger state after block `height`, whose entries
/// hash to `stateRoot`, as a file of `fileBytes` bytes (docs/STORAGE.md, "Snapshots") cut into
/// chunks of `chunkBytes` (the last shorter), each with its SHA-256. The offer is the server's
/// word only: the client checks each chunk against its hash, and the whole state against the
/// certified header of `height`.
///
/// Encoding: u64 height, Hash32 stateRoot, u64 fileBytes, u32 chunkBytes, array<Hash32>
/// chunkHashes (≤ 4096; exactly ⌈fileBytes ÷ chunkBytes⌉).
@MemberwiseInit
package struct SnapshotOffer: Hashable, Sendable, CanonicalCodable {
    package var height: UInt64
    package var stateRoot: Hash32
    package var fileBytes: UInt64
    package var chunkBytes: UInt32
    package var chunkHashes: [Hash32]

    /// The byte range of chunk `index` in the file.
    package func range(ofChunk index: Int) -> Range<UInt64> {
        let start = UInt64(index) * UInt64(chunkBytes)
        return start..<min(fileBytes, start + UInt64(chunkBytes))
    }

    package func encode(to w: inout CanonicalWriter) {
        w.u64(height)
        w.encode(stateRoot)
        w.u64(fileBytes)
        w.u32(chunkBytes)
        w.array(chunkHashes)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        height = try r.u64("SnapshotOffer.height")
        stateRoot = try r.decode()
        fileBytes = try r.u64("SnapshotOffer.fileBytes")
        chunkBytes = try r.u32("SnapshotOffer.chunkBytes")
        chunkHashes = try r.array(max: ValidatorAPI.maxSnapshotChunks, "SnapshotOffer.chunkHashes")
        guard height >= 1, chunkBytes >= 1, chunkBytes <= ValidatorAPI.snapshotChunkBytes, fileBytes >= 1 else {
            throw CodecError(.invalidValue, field: "SnapshotOffer", "height \(height), \(fileBytes) bytes in chunks of \(chunkBytes): out of bounds")
        }
        let chunks = (fileBytes + UInt64(chunkBytes) - 1) / UInt64(chunkBytes)
        guard chunks == UInt64(chunkHashes.count) else {
            throw CodecError(.invalidValue, field: "SnapshotOffer.chunkHashes",
                             "\(chunkHashes.count) hashes for \(fileBytes) bytes in chunks of \(chunkBytes) (\(chunks) chunks)")
        }
    }
}

/// The snapshots a validator serves, newest first (possibly none).
///
/// Encoding: array<SnapshotOffer> (≤ 16).
@MemberwiseInit
package struct SnapshotOffers: Hashable, Sendable, CanonicalCodable {
    package var offers: [SnapshotOffer]

    package func encode(to w: inout CanonicalWriter) { w.array(offers) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        offers = try r.array(max: ValidatorAPI.maxSnapshotOffers, "SnapshotOffers.offers")
    }
}

/// Asks for chunk `index` of the snapshot at `height`.
///
/// Encoding: u64 height, u32 index.
@MemberwiseInit
package struct SnapshotChunkRequest: Hashable, Sendable, CanonicalCodable {
    package var height: UInt64
    package var index: UInt32

    package func encode(to w: inout CanonicalWriter) { w.u64(height); w.u32(index) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        height = try r.u64("SnapshotChunkRequest.height")
        index = try r.u32("SnapshotChunkRequest.index")
        guard index < ValidatorAPI.maxSnapshotChunks else {
            throw CodecError(.invalidValue, field: "SnapshotChunkRequest.index", "\(index) is not below \(ValidatorAPI.maxSnapshotChunks)")
        }
    }
}

/// One chunk of a snapshot file.
///
/// Encoding: u64 height, u32 index, bytes (≤ 2 MiB).
@MemberwiseInit
package struct SnapshotChunk: Hashable, Sendable, CanonicalCodable {
    package var height: UInt64
    package var index: UInt32
    package var bytes: [UInt8]

    package func encode(to w: inout CanonicalWriter) { w.u64(height); w.u32(index); w.bytes(bytes) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        height = try r.u64("SnapshotChunk.height")
        index = try r.u32("SnapshotChunk.index")
        bytes = try r.bytes(max: Int(ValidatorAPI.snapshotChunkBytes), "SnapshotChunk.bytes")
    }
}
