import CityEncoding

/// Precommits of validators holding more than 2/3 of the power for one block at one height and round.
/// Signatures are kept sorted by validator key; the decoder refuses unsorted or repeated keys.
package struct CommitCertificate: Hashable, Sendable, CanonicalCodable {
    /// The certified height.
    package var height: UInt64
    /// The round the precommits were cast in.
    package var round: UInt32
    /// The certified block's hash.
    package var blockHash: Hash32
    /// The precommit signatures, sorted by validator key.
    package private(set) var signatures: [CommitSignature]

    /// A certificate from its parts; `signatures` are sorted by validator key.
    package init(height: UInt64, round: UInt32, blockHash: Hash32, signatures: [CommitSignature]) {
        self.height = height
        self.round = round
        self.blockHash = blockHash
        self.signatures = signatures.sorted { $0.validator < $1.validator }
    }

    /// Builds a certificate from precommit votes for `blockHash` (votes for anything else are skipped).
    package init(height: UInt64, round: UInt32, blockHash: Hash32, precommits: [Vote]) {
        let sigs = precommits.filter {
            $0.kind == .precommit && $0.height == height && $0.round == round && $0.blockHash == blockHash
        }.map { CommitSignature(validator: $0.validator, signature: $0.signature) }
        self.init(height: height, round: round, blockHash: blockHash, signatures: sigs)
    }

    /// Checks the certificate for `header` against the set that signs its height.
    package func verify(header: BlockHeader, validatorSet: ValidatorSet) throws(LedgerError) {
        guard header.height == height else {
            throw LedgerError(.certificateMismatch, "certificate is for height \(height) but the header is \(header.height)")
        }
        try verify(blockHash: header.hash, validatorSet: validatorSet, chainID: header.chainID)
    }

    /// Checks that distinct members of `validatorSet` holding more than 2/3 of its power signed a
    /// precommit for `blockHash` on `chainID`.
    package func verify(blockHash expected: Hash32, validatorSet: ValidatorSet, chainID: String) throws(LedgerError) {
        guard blockHash == expected else {
            throw LedgerError(.certificateMismatch, "certificate is for block \(blockHash), not \(expected); fetch the matching certificate")
        }
        var seen = Set<PublicKey>()
        var power: UInt64 = 0
        let message = Vote.signBytes(chainID: chainID, kind: .precommit, height: height, round: round, blockHash: blockHash)
        for s in signatures {
            guard seen.insert(s.validator).inserted else {
                throw LedgerError(.duplicateValidator, "validator \(s.validator) signed twice; each counts once, drop the copy")
            }
            guard let v = validatorSet.validator(s.validator) else {
                throw LedgerError(.unknownValidator, "\(s.validator) is not in the validator set \(validatorSet.hash)")
            }
            guard s.validator.isValidSignature(s.signature, for: message) else {
                throw LedgerError(.badSignature, "precommit by \(s.validator) does not verify for chain \(chainID)")
            }
            power += v.power
        }
        guard validatorSet.isQuorum(power) else {
            throw LedgerError(.insufficientPower,
                              "signers hold \(power) of \(validatorSet.totalPower) power; more than 2/3 is needed, collect more precommits")
        }
    }

    package func encode(to w: inout CanonicalWriter) {
        w.u64(height)
        w.u32(round)
        w.encode(blockHash)
        w.array(signatures)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        height = try r.u64("CommitCertificate.height")
        round = try r.u32("CommitCertificate.round")
        blockHash = try Hash32(from: &r)
        signatures = try r.array(max: LedgerLimits.maxValidators, "CommitCertificate.signatures")
        try LedgerOperation.requireIncreasing(signatures.map(\.validator), "CommitCertificate.signatures")
    }
}
