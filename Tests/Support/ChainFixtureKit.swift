import CityEncoding
import CityLedger
@preconcurrency import Crypto

/// The steps every test chain fixture takes (CityChainAPITests' `APIChain`, CityIndexerTests'
/// `IndexerChain`): apply a block with the real ledger, make its header, and certify it with the
/// keys of the validator set in force. Each fixture keeps only its genesis and its transactions.
package enum ChainFixtureKit {
    /// Applies `txs` as the next block of `state` (a refused transaction stops the test) and returns
    /// its header, naming the set that signs it and the resulting state root. With
    /// `signaturesChecked` false the ledger trusts the fixture's own signatures (faster; every other
    /// rule applies).
    package static func apply(_ txs: [SignedTransaction], to state: inout LedgerState, chainID: String, previousHash: Hash32,
                              proposer: PublicKey, signaturesChecked: Bool = true) -> (header: BlockHeader, signers: ValidatorSet) {
        let h = state.height + 1
        let set = state.validatorSet(forHeight: h)!
        let outcomes = signaturesChecked ? state.applyBlock(txs, height: h) : state.applyBlock(txs, height: h, signaturesVerified: { _ in true })
        for o in outcomes { if case .failure(let r) = o.result { fatalError("fixture transaction \(o.index) refused: \(r)") } }
        let header = BlockHeader(chainID: chainID, height: h, timeMillis: 1_700_000_000_000 + h * 1000, previousHash: previousHash,
                                 transactionsRoot: Block.transactionsRoot(txs), transactionCount: UInt32(txs.count),
                                 stateRoot: state.stateRoot, validatorSetHash: set.hash, proposer: proposer)
        return (header, set)
    }

    /// Precommits of `keys` for `header`.
    package static func certificate(_ header: BlockHeader, chainID: String, keys: some Sequence<Curve25519.Signing.PrivateKey>) -> CommitCertificate {
        let votes = keys.map { try! Vote.sign(kind: .precommit, height: header.height, round: 0, blockHash: header.hash, chainID: chainID, key: $0) }
        return CommitCertificate(height: header.height, round: 0, blockHash: header.hash, precommits: votes)
    }

    /// Every member of `set` precommits (after a validator-set change), each key found among `candidates`.
    package static func certificate(_ header: BlockHeader, chainID: String, by set: ValidatorSet,
                                    candidates: [Curve25519.Signing.PrivateKey]) -> CommitCertificate {
        certificate(header, chainID: chainID, keys: set.validators.map { v in candidates.first { $0.ledgerPublicKey == v.publicKey }! })
    }

    /// A validator-set change signed by `proposer` and co-signed by `cosigner` (key id 1 each).
    package static func validatorChange(_ changes: [ValidatorChange], chainID: String, nonce: UInt64, expiresAtHeight: UInt64,
                                        proposer: (AgencyID, Curve25519.Signing.PrivateKey),
                                        cosigner: (AgencyID, Curve25519.Signing.PrivateKey)) -> SignedTransaction {
        let body = TransactionBody(chainID: chainID, signer: Signer(agency: proposer.0, keyID: 1), nonce: nonce,
                                   expiresAtHeight: expiresAtHeight, operation: .changeValidatorSet(changes: changes))
        return try! SignedTransaction.sign(body, key: proposer.1, cosigners: [(Signer(agency: cosigner.0, keyID: 1), cosigner.1)])
    }
}
