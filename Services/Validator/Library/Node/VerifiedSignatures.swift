import CityLedger
import CityNode
import Synchronization

/// Transactions whose exact signatures this validator has verified (on submission, in gossip, or
/// while validating a proposal), so that each transaction's Ed25519 checks run once per validator
/// however many ways it arrives (the profile of issue 13 saw ~3.9 verifications per transaction per
/// validator). Keyed by id with the signatures compared, since the id covers only the body. Bounded
/// (oldest forgotten first); shared by the gossip tasks and the node actor.
package final class VerifiedSignatures: Sendable {
    private let map: Mutex<BoundedFIFOMap<TransactionID, [TransactionSignature]>>

    /// A cache of at most `capacity` transactions.
    package init(capacity: Int = 100_000) {
        map = Mutex(BoundedFIFOMap(capacity: capacity))
    }

    /// Whether `tx`'s exact signatures were verified here.
    package func contains(_ tx: SignedTransaction) -> Bool {
        let id = tx.id
        return map.withLock { $0[id] } == tx.signatures
    }

    /// Records that `tx`'s signatures verified.
    package func insert(_ tx: SignedTransaction) {
        let id = tx.id
        map.withLock { $0.insert(tx.signatures, for: id) }
    }

    /// Records every transaction of `txs` (all verified).
    package func insert(contentsOf txs: [SignedTransaction]) {
        let ids = txs.map(\.id)
        map.withLock { m in for (id, tx) in zip(ids, txs) { m.insert(tx.signatures, for: id) } }
    }
}
