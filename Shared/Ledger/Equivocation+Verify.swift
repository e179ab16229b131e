import CityEncoding

extension Equivocation {
    /// Throws unless this proves an equivocation on `chainID`: one signer, one height and round
    /// (and one kind, for votes), different block ids (or different (value id, valid round), for
    /// proposals), canonical order, and both signatures valid. Needs no state; what the state
    /// decides (membership, age, already recorded) is `LedgerState.validateEvidence`.
    package func verify(chainID: String) throws(Rejection) {
        try checkConflict()
        try checkSignatures(chainID: chainID)
    }

    /// Every rule of `verify` except the signatures (the cheap part, checked first).
    package func checkConflict() throws(Rejection) {
        switch self {
        case let .votes(a, b):
            guard a.validator == b.validator else {
                throw .invalidEvidence("the votes are by two validators, \(a.validator) and \(b.validator); evidence needs two votes of one validator")
            }
            guard a.kind == b.kind else {
                throw .invalidEvidence("a prevote and a precommit do not conflict; evidence needs two votes of one kind")
            }
            guard a.height == b.height, a.round == b.round else {
                throw .invalidEvidence("the votes are for (height \(a.height), round \(a.round)) and (height \(b.height), round \(b.round)); evidence needs one height and round")
            }
            guard a.blockHash != b.blockHash else {
                throw .invalidEvidence("both votes are for block \(a.blockHash.map(\.hex) ?? "nil"); evidence needs two different block ids")
            }
        case let .proposals(a, b):
            guard a.proposer == b.proposer else {
                throw .invalidEvidence("the proposals are by two validators, \(a.proposer) and \(b.proposer); evidence needs two proposals of one proposer")
            }
            guard a.height == b.height, a.round == b.round else {
                throw .invalidEvidence("the proposals are for (height \(a.height), round \(a.round)) and (height \(b.height), round \(b.round)); evidence needs one height and round")
            }
            guard a.valueID != b.valueID || a.validRound != b.validRound else {
                throw .invalidEvidence("both proposals are of value \(a.valueID) with the same valid round; evidence needs two different proposals")
            }
            for p in [a, b] {
                if let vr = p.validRound, vr >= p.round {
                    throw .invalidEvidence("a proposal's valid round \(vr) is not below its round \(p.round); such a proposal does not decode")
                }
            }
        }
        // Checked after the rules above, so two copies of one message get the clearer reason.
        guard isCanonicallyOrdered else {
            throw .invalidEvidence("the two items are not in canonical order (increasing canonical bytes); build the evidence with Equivocation(votes:_:) or Equivocation(proposals:_:)")
        }
    }

    /// Both Ed25519 signatures against `chainID`.
    func checkSignatures(chainID: String) throws(Rejection) {
        let valid = switch self {
        case let .votes(a, b): a.verify(chainID: chainID) && b.verify(chainID: chainID)
        case let .proposals(a, b): a.verify(chainID: chainID) && b.verify(chainID: chainID)
        }
        guard valid else { throw .badEvidenceSignature(offender) }
    }
}
