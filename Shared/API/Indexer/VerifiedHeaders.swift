import CityEncoding
import CityLedger

/// The certified headers a reader has already checked against a validator set, so a stream of
/// proven transactions (a feed, a page of changes) checks each block's commit certificate once:
/// every transaction of a block carries the same certified header, and verifying its quorum of
/// Ed25519 signatures is most of the cost of a proof. Keyed by the certified header's canonical
/// bytes and the set's hash, so a different certificate or set is checked again. Bounded: the
/// oldest entries are forgotten first.
package struct VerifiedHeaders: Sendable {
    /// Most headers remembered.
    package let capacity: Int
    /// Certificates actually checked (the rest were remembered).
    package private(set) var certificatesChecked = 0
    private var known: Set<Hash32> = []
    private var order: [Hash32] = []
    private var next = 0

    package init(capacity: Int = 1024) { self.capacity = max(1, capacity) }

    /// Throws unless `header` is certified by `validatorSet` (`CertifiedHeader.verify`), checking
    /// the signatures only the first time this header and set are seen.
    package mutating func verify(_ header: CertifiedHeader, validatorSet sets: some ValidatorSetSource) throws(ProofFailure) {
        let validatorSet = try sets.validatorSet(forHeight: header.height)
        let key = Hash32.sha256(parts: [header.canonicalBytes, validatorSet.hash.bytes])
        guard !known.contains(key) else { return }
        try header.verify(validatorSet: validatorSet)
        certificatesChecked += 1
        if order.count < capacity {
            order.append(key)
        } else {
            known.remove(order[next])
            order[next] = key
            next = (next + 1) % capacity
        }
        known.insert(key)
    }

    /// `ProvenTransaction.verify`, with the header remembered: throws unless the transaction is in
    /// a block certified by `validatorSet`.
    package mutating func verify(_ proven: ProvenTransaction, validatorSet: some ValidatorSetSource) throws(ProofFailure) {
        try verify(proven.header, validatorSet: validatorSet)
        try proven.verifyInclusion()
    }
}
