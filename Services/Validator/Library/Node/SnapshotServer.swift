import CityChainAPI
import CityEncoding
import CityLedger
import CityWire
import Synchronization

/// Serves the validator's snapshot files to nodes that state-sync (`ValidatorAPI.snapshots`,
/// `ValidatorAPI.snapshotChunk`): the files as they are on disk, in 2 MiB chunks, with each
/// chunk's SHA-256 in the offer. A file's chunk hashes are computed once (one pass over the
/// file) and kept while the file is there. Files are immutable once renamed into place; a file
/// pruned while a client fetches it answers `notFound` and the client picks another offer.
/// Thread-safe; reads run on the caller's task.
package final class SnapshotServer: Sendable {
    /// The snapshots directory (`<data>/snapshots`).
    package let directory: String
    private let offersCache = Mutex<[UInt64: SnapshotOffer]>([:])

    package init(directory: String) { self.directory = directory }

    /// Every whole snapshot file in the directory, newest first.
    package func offers() throws -> SnapshotOffers {
        let heights: [UInt64]
        do { heights = try SnapshotStore.fileNames(in: directory).compactMap(SnapshotStore.height(fromFileName:)).sorted(by: >) } catch {
            return SnapshotOffers(offers: [])   // no directory yet: nothing to offer
        }
        var offers: [SnapshotOffer] = []
        for height in heights.prefix(ValidatorAPI.maxSnapshotOffers) {
            if let offer = try? offer(height: height) { offers.append(offer) }   // a file pruned meanwhile, or damaged: not offered
        }
        offersCache.withLock { cache in cache = cache.filter { heights.contains($0.key) } }
        return SnapshotOffers(offers: offers)
    }

    /// Chunk `index` of the snapshot at `height`.
    package func chunk(_ request: SnapshotChunkRequest) throws -> SnapshotChunk {
        guard let offer = offersCache.withLock({ $0[request.height] }) ?? (try? offer(height: request.height)) else {
            throw WireError(.notFound, "no snapshot at height \(request.height) here (it may have been replaced by a newer one): ask for the offers again")
        }
        guard Int(request.index) < offer.chunkHashes.count else {
            throw WireError(.invalidRequest, "the snapshot at height \(request.height) has \(offer.chunkHashes.count) chunks; \(request.index) is past the last")
        }
        let range = offer.range(ofChunk: Int(request.index))
        do {
            let file = try StorageFile(path: path(request.height), create: false)
            defer { file.close() }
            return SnapshotChunk(height: request.height, index: request.index,
                                 bytes: try file.read(offset: Int(range.lowerBound), count: Int(range.count)))
        } catch {
            throw WireError(.notFound, "the snapshot at height \(request.height) is gone (replaced by a newer one): ask for the offers again")
        }
    }

    private func path(_ height: UInt64) -> String { directory + "/" + SnapshotStore.fileName(forHeight: height) }

    /// The offer of one file: its header's height and root, its size and chunk hashes (cached).
    private func offer(height: UInt64) throws -> SnapshotOffer {
        let path = path(height)
        let file = try StorageFile(path: path, create: false)
        defer { file.close() }
        let size = try file.size()
        if let cached = offersCache.withLock({ $0[height] }), cached.fileBytes == UInt64(size) { return cached }
        let header = try SnapshotHeader.decode(try file.read(offset: 0, count: min(size, SnapshotHeader.sizeBytes)), path: path)
        try SnapshotFile.checkLength(header, fileBytes: size, path: path)
        guard header.height == height else { throw WireError(.internal, "\(path) holds height \(header.height)") }
        let chunkBytes = Int(ValidatorAPI.snapshotChunkBytes)
        var hashes: [Hash32] = []
        var at = 0
        while at < size {   // one pass, ⌈size ÷ 2 MiB⌉ reads
            let bytes = try file.read(offset: at, count: min(chunkBytes, size - at))
            hashes.append(Hash32.sha256(bytes))
            at += bytes.count
        }
        let offer = SnapshotOffer(height: height, stateRoot: header.stateRoot, fileBytes: UInt64(size),
                                  chunkBytes: ValidatorAPI.snapshotChunkBytes, chunkHashes: hashes)
        offersCache.withLock { $0[height] = offer }
        return offer
    }
}
