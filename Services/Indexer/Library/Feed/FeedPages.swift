import CityChainAPI
import CityLedger
import CityNode

/// Feed pages read once for every feed that needs the same page. Feeds on the same datasets and
/// filter that are caught up wake for the same new block at the same cursor and would each run the
/// same query; here the first one runs it and the others await its answer (single flight), and the
/// answer stays for feeds that wake a little later. A page is a pure function of its key: rows at
/// or below a proven height never change.
package actor FeedPages {
    /// What determines a page.
    package struct Key: Hashable, Sendable {
        let datasets: [DatasetID]
        let subject: SubjectKey?
        let predicates: [FieldPredicate]
        let after: ChainCursor
        let maxHeight: UInt64
        let limit: Int
    }

    private var done: BoundedFIFOMap<Key, [StoredTransaction]>
    /// The store's erasure epoch the pages held were read in (`IndexStore.erasureEpoch`): an
    /// erasure rewrites rows below the proven height, so the pages go when it moves.
    private var epoch: UInt64 = 0
    private var inFlight: [Key: Task<[StoredTransaction], any Error>] = [:]
    /// Queries run (a page shared by many feeds counts once).
    package private(set) var queries = 0

    /// Keeps the answers of the last `capacity` pages.
    package init(capacity: Int = 64) { done = BoundedFIFOMap(capacity: max(1, capacity)) }

    /// The changes of `request`'s datasets and filter after `after`, at or below `maxHeight`, at most `limit`.
    package func page(_ request: FeedRequest, after: ChainCursor, maxHeight: UInt64, limit: Int,
                      store: IndexStore) async throws -> [StoredTransaction] {
        let key = Key(datasets: request.datasets, subject: request.subject, predicates: request.predicates,
                      after: after, maxHeight: maxHeight, limit: limit)
        let now = store.erasureEpoch
        if now != epoch { (done, epoch) = (BoundedFIFOMap(capacity: done.capacity), now) }
        if let rows = done[key] { return rows }
        let flight: Task<[StoredTransaction], any Error>
        if let f = inFlight[key] {
            flight = f
        } else {
            flight = Task.detached { try await store.feedChanges(request, after: after, maxHeight: maxHeight, limit: limit) }
            inFlight[key] = flight
            queries += 1
        }
        let result = await flight.result
        if inFlight[key] == flight {
            inFlight[key] = nil
            if case .success(let rows) = result {
                assert(rows.count <= limit && rows.allSatisfy { ($0.height, $0.index) > (after.height, Int(after.index)) && $0.height <= maxHeight },
                       "a feed page holds at most its limit of changes, after its cursor and up to its height")
                if done[key] == nil, store.erasureEpoch == now, epoch == now { done.insert(rows, for: key) }
            }
        }
        return try result.get()
    }

    /// Waits until no read is in flight.
    package func settle() async {
        while let f = inFlight.values.first {
            _ = await f.result
            inFlight = inFlight.filter { $0.value != f }
        }
    }
}
