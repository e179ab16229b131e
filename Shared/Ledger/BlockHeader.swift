import CityEncoding
import CityMerkle

/// A block's header: what validators certify and what proofs are checked against.
package struct BlockHeader: Hashable, Sendable, CanonicalCodable {
    /// The chain.
    package var chainID: String
    /// Height (the first block after genesis is 1).
    package var height: UInt64
    /// Proposer's time, milliseconds since the Unix epoch.
    package var timeMillis: UInt64
    /// Hash of the block at `height - 1` (the genesis hash for height 1).
    package var previousHash: Hash32
    /// `MerkleTree.root` over the `leafBytes` of each `SignedTransaction` (body and signatures, not
    /// the payload), in block order.
    package var transactionsRoot: Hash32
    /// Number of transactions in the block. Inclusion proofs bind their `leafCount` only through
    /// the path's shape, so a verifier takes the count from here (`verifyInclusion`), never from the proof.
    package var transactionCount: UInt32
    /// `MerkleTree.root` over the canonical bytes of each `Equivocation` in `Block.evidence`, in
    /// block order (`Block.noEvidenceRoot` when there is none).
    package var evidenceRoot: Hash32
    /// State root after applying this block.
    package var stateRoot: Hash32
    /// Hash of the validator set that signs this block.
    package var validatorSetHash: Hash32
    /// The proposing validator.
    package var proposer: PublicKey

    /// A header from its parts; `evidenceRoot` defaults to the root of a block without evidence.
    package init(chainID: String, height: UInt64, timeMillis: UInt64, previousHash: Hash32, transactionsRoot: Hash32,
                 transactionCount: UInt32, evidenceRoot: Hash32 = Block.noEvidenceRoot, stateRoot: Hash32,
                 validatorSetHash: Hash32, proposer: PublicKey) {
        self.chainID = chainID
        self.height = height
        self.timeMillis = timeMillis
        self.previousHash = previousHash
        self.transactionsRoot = transactionsRoot
        self.transactionCount = transactionCount
        self.evidenceRoot = evidenceRoot
        self.stateRoot = stateRoot
        self.validatorSetHash = validatorSetHash
        self.proposer = proposer
    }

    /// SHA-256(domain "citychain/block/v1" || canonical header).
    package var hash: Hash32 { LedgerDomain.hash(LedgerDomain.blockHash, canonicalBytes) }

    /// True when `proof` shows `tx` (its `leafBytes`: body and signatures) in this block:
    /// the proof's `leafCount` must equal `transactionCount` and its path must lead to
    /// `transactionsRoot`. Check the header's commit certificate first; this trusts the header.
    package func verifyInclusion(of tx: SignedTransaction, proof: InclusionProof) -> Bool {
        proof.leafCount == UInt64(transactionCount) && proof.verify(leaf: tx.leafBytes, root: transactionsRoot)
    }

    package func encode(to w: inout CanonicalWriter) {
        w.string(chainID)
        w.u64(height)
        w.u64(timeMillis)
        w.encode(previousHash)
        w.encode(transactionsRoot)
        w.u32(transactionCount)
        w.encode(evidenceRoot)
        w.encode(stateRoot)
        w.encode(validatorSetHash)
        w.encode(proposer)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        chainID = try IdentifierRules.readChainID(&r, field: "BlockHeader.chainID")
        height = try r.u64("BlockHeader.height")
        timeMillis = try r.u64("BlockHeader.timeMillis")
        previousHash = try Hash32(from: &r)
        transactionsRoot = try Hash32(from: &r)
        transactionCount = try r.u32("BlockHeader.transactionCount")
        guard transactionCount <= LedgerLimits.maxTransactionsPerBlock else {
            throw .overLimit("BlockHeader.transactionCount", Int(transactionCount), max: LedgerLimits.maxTransactionsPerBlock)
        }
        evidenceRoot = try Hash32(from: &r)
        stateRoot = try Hash32(from: &r)
        validatorSetHash = try Hash32(from: &r)
        proposer = try PublicKey(from: &r)
    }
}
