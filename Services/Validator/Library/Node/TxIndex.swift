import CityChainAPI
import CityLedger

/// Where recently committed transactions are (id → height, index, block hash), for status
/// queries and submit-and-wait. Bounded: the oldest heights are forgotten first. Older
/// transactions are the indexer's to answer.
package struct TxIndex: Sendable {
    /// Most transactions remembered.
    package let capacity: Int
    private var places: [TransactionID: TxCommit] = [:]
    private var byHeight: [(height: UInt64, ids: [TransactionID])] = []
    private var head = 0

    /// An empty index holding at most `capacity` transactions.
    package init(capacity: Int) {
        precondition(capacity > 0, "a transaction index holds at least one transaction")
        self.capacity = capacity
    }

    /// The place of `id`, if remembered.
    package subscript(id: TransactionID) -> TxCommit? { places[id] }

    /// Transactions remembered.
    package var count: Int { places.count }

    /// Remembers the transactions of `block`, forgetting the oldest heights beyond the capacity.
    package mutating func record(_ block: Block) {
        let hash = block.header.hash
        let ids = block.transactions.map(\.id)
        for (i, id) in ids.enumerated() {
            places[id] = TxCommit(height: block.header.height, index: UInt32(i), blockHash: hash)
        }
        byHeight.append((block.header.height, ids))
        while places.count > capacity && head < byHeight.count {   // bounded by the heights held
            for id in byHeight[head].ids where places[id]?.height == byHeight[head].height { places[id] = nil }
            head += 1
        }
        if head > 1024 && head * 2 > byHeight.count {
            byHeight.removeFirst(head)
            head = 0
        }
    }
}
