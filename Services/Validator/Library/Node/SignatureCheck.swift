import CityChainAPI
import CityLedger

/// Ed25519 checks done outside the node actor, so they run in parallel on every core while the
/// actor only does the state-dependent rest. A false flag only means "not verified here": the
/// mempool then verifies the transaction itself and reports the exact rejection.
package enum SignatureCheck {
    /// Every signer named in `txs`.
    package static func signers(of txs: some Sequence<SignedTransaction>) -> Set<Signer> {
        var all = Set<Signer>()
        for tx in txs { for s in tx.signatures { all.insert(s.signer) } }
        return all
    }

    /// True when every signature of `tx` verifies against the key registered for its signer.
    package static func verify(_ tx: SignedTransaction, keys: [Signer: PublicKey]) -> Bool {
        guard !tx.signatures.isEmpty else { return false }
        let message = tx.signingMessage
        return tx.signatures.allSatisfy { s in keys[s.signer]?.isValidSignature(s.signature, for: message) ?? false }
    }

    /// `verify(_:keys:)` for each of `txs`, with their Ed25519 checks done together
    /// (`Ed25519Tables.verifyAll`: one field inversion per 64 signatures).
    package static func verifyAll(_ txs: [SignedTransaction], keys: [Signer: PublicKey]) -> [Bool] {
        var items: [(key: PublicKey, signature: Signature, message: [UInt8])] = []
        var owner: [Int] = []   // the transaction of each item
        var ok = [Bool](repeating: true, count: txs.count)
        for (t, tx) in txs.enumerated() {
            guard !tx.signatures.isEmpty else { ok[t] = false; continue }
            let message = tx.signingMessage
            for s in tx.signatures {
                guard let key = keys[s.signer] else { ok[t] = false; break }
                items.append((key, s.signature, message))
                owner.append(t)
            }
        }
        for (verdict, t) in zip(Ed25519Tables.verifyAll(items), owner) where !verdict { ok[t] = false }
        return ok
    }

    /// One flag per gossip item: proposals and votes verified against their signer (membership is
    /// the core's to check), transactions against `keys`; height announcements need nothing and
    /// evidence is verified by the evidence pool.
    package static func verify(_ items: [GossipItem], chainID: String, keys: [Signer: PublicKey]) -> [Bool] {
        items.map { item in
            switch item {
            case .proposal(let p): p.verify(chainID: chainID)
            case .compactProposal(let c): c.verify(chainID: chainID)
            case .vote(let v): v.verify(chainID: chainID)
            case .transaction(let tx): verify(tx, keys: keys)
            case .height: true
            case .evidence: true   // the evidence pool verifies both signatures itself
            }
        }
    }
}
