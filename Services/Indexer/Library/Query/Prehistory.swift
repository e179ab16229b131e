import CityChainAPI
import CityEncoding
import CityLedger
import CityWire
import Logging

/// Transactions from before the snapshot an index was seeded from (state sync): not in
/// PostgreSQL, so a record written then is proven from the state and its transaction fetched
/// from a validator that still keeps the block (an archive node, or one that has not pruned it),
/// with its inclusion proof built here; the client checks the proof as for any answer. A few
/// recent blocks are kept. When no validator keeps the block, the answer says so (`notFound`).
package actor Prehistory {
    private let client: WireClient
    private let validators: [HostPort]
    private let logger: Logger
    private var cache: [UInt64: CertifiedBlock] = [:]
    private var order: [UInt64] = []
    private static let cached = 64
    /// The index's erasure epoch the cached blocks were fetched in: they go when it moves (the
    /// validators drop an erased record's payloads from their blocks too).
    private var epoch: UInt64 = 0

    package init(client: WireClient, validators: [HostPort], logger: Logger) {
        self.client = client
        self.validators = validators
        self.logger = logger
    }

    /// Transaction `id`, in block `height`, proven in its certified block.
    package func transaction(_ id: TransactionID, height: UInt64, baseHeight: UInt64, erasureEpoch: UInt64 = 0) async throws -> ProvenTransaction {
        if erasureEpoch != epoch { (cache, order, epoch) = ([:], [], erasureEpoch) }
        let block = try await block(height, baseHeight: baseHeight)
        guard let index = block.block.transactions.firstIndex(where: { $0.id == id }),
              let proof = block.block.inclusionProof(forTransactionAt: index) else {
            throw WireError(.internal, "block \(height) sent by a validator does not hold transaction \(id)")
        }
        return ProvenTransaction(transaction: block.block.transactions[index], proof: proof,
                                 header: CertifiedHeader(header: block.block.header, certificate: block.certificate))
    }

    private func block(_ height: UInt64, baseHeight: UInt64) async throws -> CertifiedBlock {
        if let b = cache[height] { return b }
        let (found, errors) = await client.certifiedBlock(height, from: validators, timeout: .seconds(10))
        if let b = found {
            cache[height] = b
            order.append(height)
            if order.count > Self.cached { cache[order.removeFirst()] = nil }
            return b
        }
        logger.info("a block before this index's starting snapshot is kept by no validator", metadata: [
            "block.height": "\(height)", "error": "\(errors.joined(separator: "; "))",
        ])
        throw WireError(.notFound, "this index started from a snapshot at height \(baseHeight) and holds no transactions before it; block \(height) is kept by none of the validators it follows (pruned): ask an indexer that indexed from genesis, or a validator that keeps every block (block.retainBlocks 0)")
    }
}
