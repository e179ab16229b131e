import CityChainAPI
import CityLedger
import CityNode

/// Where recently committed transactions are (id → height, index, block hash), for status
/// queries and submit-and-wait. Bounded: the oldest are forgotten first. Older transactions are
/// the indexer's to answer.
package struct TxIndex: Sendable {
    private var places: BoundedFIFOMap<TransactionID, TxCommit>

    /// An empty index holding at most `capacity` transactions.
    package init(capacity: Int) {
        precondition(capacity > 0, "a transaction index holds at least one transaction")
        places = BoundedFIFOMap(capacity: capacity)
    }

    /// Most transactions remembered.
    package var capacity: Int { places.capacity }

    /// The place of `id`, if remembered.
    package subscript(id: TransactionID) -> TxCommit? { places[id] }

    /// Transactions remembered.
    package var count: Int { places.count }

    /// Remembers the transactions of `block`, forgetting the oldest beyond the capacity.
    package mutating func record(_ block: Block) {
        let hash = block.header.hash
        for (i, tx) in block.transactions.enumerated() {
            places.insert(TxCommit(height: block.header.height, index: UInt32(i), blockHash: hash), for: tx.id)
        }
    }
}
