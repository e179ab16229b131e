/// When an indexer is ready for queries (`/readyz`), pure: it follows a validator, its index is
/// within `maxLagBlocks` of the chain's head, and its proven state (what answers carry proofs
/// from) within `maxLagBlocks` of its index. An indexer catching up (a new one, or one back from a
/// stop) is therefore not ready, and a gateway's health check or a load balancer keeps queries on
/// the others until it is.
package struct IndexerReadiness: Sendable, Hashable {
    /// The validator followed now (empty: none yet).
    package var source: String
    package var indexedHeight: UInt64
    /// The highest height a validator reported (at least the indexed height).
    package var chainHeight: UInt64
    package var provenHeight: UInt64
    package var maxLagBlocks: UInt64

    /// Nil when ready, else why not (what /readyz shows).
    package var problem: String? {
        guard !source.isEmpty else { return "not following a validator yet (lag unknown)" }
        if chainHeight > indexedHeight + maxLagBlocks {
            return "catching up: indexed height \(indexedHeight) of \(chainHeight) (ready within \(maxLagBlocks) blocks)"
        }
        if indexedHeight > provenHeight + maxLagBlocks {
            return "the proven state is at height \(provenHeight), the index at \(indexedHeight): proofs would lag (ready within \(maxLagBlocks) blocks)"
        }
        return nil
    }
}
