import CityLedger

extension Mempool {
    /// Admits `tx` for the block at `height` (the state's height plus one): a known id is
    /// answered with its status, then the bounds are checked (before any signature is verified,
    /// so a flood against a full pool costs no crypto), then `state.validate`, which runs
    /// `checkStateless` and checks signatures against registered keys, expiry, replay and the
    /// operation's rules. `encodedBytes` is the size of `tx.canonicalBytes`. With
    /// `signaturesVerified` the caller already checked these exact signatures against the
    /// signers' registered keys (off the caller's serial path); keys are still checked here.
    package mutating func add(_ tx: SignedTransaction, encodedBytes: Int, state: LedgerState, height: UInt64,
                              signaturesVerified: Bool = false) -> MempoolAdmission {
        precondition(height == state.height + 1, "admission height \(height) is not the state's next height \(state.height + 1)")
        precondition(encodedBytes > 0, "a transaction has at least one byte")
        let id = tx.id
        if let known = status(of: id) { return .duplicate(known) }
        if encodedBytes > limits.maxBytes {
            // It would never fit, so "retry later" would be a lie.
            return .rejected(.tooLarge(bytes: encodedBytes, max: min(limits.maxBytes, LedgerLimits.maxTransactionBytes)))
        }
        if let full = checkRoom(signer: tx.body.signer.agency, encodedBytes: encodedBytes) { return .full(full) }
        if let rejection = state.validate(tx, atHeight: height, signaturesVerified: signaturesVerified) { return .rejected(rejection) }
        let sequence = nextSequence
        insert(MempoolEntry(transaction: tx, id: id, encodedBytes: encodedBytes, sequence: sequence))
        return .accepted(sequence: sequence)
    }

    /// The bound that adding a transaction of `encodedBytes` signed by `signer` would break, if any.
    func checkRoom(signer: AgencyID, encodedBytes: Int) -> MempoolFull? {
        if count >= limits.maxTransactions {
            return MempoolFull(bound: .transactions, current: count, limit: limits.maxTransactions)
        }
        if bytes + encodedBytes > limits.maxBytes {
            return MempoolFull(bound: .bytes, current: bytes, limit: limits.maxBytes)
        }
        let mine = pendingCount(signer: signer)
        if mine >= limits.maxPerSigner {
            return MempoolFull(bound: .perSigner(signer), current: mine, limit: limits.maxPerSigner)
        }
        return nil
    }
}
