import CityEncoding
import CityLedger

/// What a follower knows of the chain it follows (the indexer, the gateway: `CertifiedChainFollower`),
/// enough to check each next certified block on its own: the last accepted height and hash, the validator set in effect and the scheduled changes, all
/// taken from the chain itself (`changeValidatorSet` takes effect `validatorChangeDelayHeights`
/// after its block, as in `LedgerState.validatorSet(forHeight:)`). Pure; the indexer persists it with each batch.
///
/// Encoding: string chainID, u64 height, Hash32 lastHash, ValidatorSet, array<PendingValidatorChange>.
package struct ChainTracker: Hashable, Sendable, CanonicalCodable {
    package private(set) var chainID: String
    /// Last accepted height (0: genesis only).
    package private(set) var height: UInt64
    /// Hash of the last accepted block (the genesis hash at height 0).
    package private(set) var lastHash: Hash32
    /// The set that signed the last accepted block (the genesis set at 0).
    package private(set) var validatorSet: ValidatorSet
    /// Changes accepted but not yet in effect.
    package private(set) var pending: [PendingValidatorChange]

    /// The tracker at genesis.
    package init(genesis: Genesis) throws(ChainVerificationError) {
        do {
            try genesis.validate()
            validatorSet = try ValidatorSet(genesis.validators)
        } catch {
            throw ChainVerificationError(.badGenesis, "the genesis file does not validate: \(error)")
        }
        chainID = genesis.chainID
        height = 0
        lastHash = genesis.hash
        pending = []
    }

    /// The tracker at a height whose state is known otherwise (a `StartingStateAnswer`, verified):
    /// the block's hash, the set that signed it and the changes scheduled after it.
    package init(chainID: String, height: UInt64, lastHash: Hash32, validatorSet: ValidatorSet, pending: [PendingValidatorChange]) {
        self.chainID = chainID
        self.height = height
        self.lastHash = lastHash
        self.validatorSet = validatorSet
        self.pending = pending
    }

    /// The set that signs block `h` (≤ height + delay).
    package func validatorSet(forHeight h: UInt64) throws(ChainVerificationError) -> ValidatorSet {
        var set = validatorSet
        for p in pending where p.effectiveHeight <= h {
            do { set = try set.applying(p.changes) } catch {
                throw ChainVerificationError(.refusedBlock, "a scheduled validator change does not apply at height \(h): \(error)")
            }
        }
        return set
    }

    /// Checks `block` as the next block (height, chain, parent hash, validator set named, commit
    /// certificate, transactions and evidence roots) and, when it holds, advances to it. A refused
    /// block leaves the tracker unchanged.
    package mutating func accept(_ cb: CertifiedBlock) throws(ChainVerificationError) {
        guard cb.block.header.height == height + 1 else {
            throw ChainVerificationError(.refusedBlock, "block \(cb.block.header.height) arrived but \(height + 1) is next")
        }
        let set = try validatorSet(forHeight: cb.block.header.height)
        try Self.checkNext(cb, chainID: chainID, parentHeight: height, parentHash: lastHash, validatorSet: set)
        advance(past: cb.block, signedBy: set)
    }

    /// The one check of "is `cb` the certified block after this parent": height, chain, parent
    /// hash, the validator set it names, its commit certificate by `set`, its transactions and
    /// evidence roots. Followers call it through `accept`; a validator's block sync calls it with
    /// the set from its own ledger state (which then executes the block to its state root).
    package static func checkNext(_ cb: CertifiedBlock, chainID: String, parentHeight: UInt64, parentHash: Hash32,
                                  validatorSet set: ValidatorSet) throws(ChainVerificationError) {
        let header = cb.block.header
        guard header.height == parentHeight + 1 else {
            throw ChainVerificationError(.refusedBlock, "block \(header.height) arrived but \(parentHeight + 1) is next")
        }
        guard header.chainID == chainID else {
            throw ChainVerificationError(.refusedBlock, "block \(header.height) is for chain '\(header.chainID)', not '\(chainID)'")
        }
        guard header.previousHash == parentHash else {
            throw ChainVerificationError(.refusedBlock, "block \(header.height) names parent \(header.previousHash) but block \(parentHeight) is \(parentHash)")
        }
        do { try cb.verify(validatorSet: set) } catch {
            throw ChainVerificationError(.refusedBlock, "block \(header.height): \(error.message)")
        }
    }

    private mutating func advance(past block: Block, signedBy set: ValidatorSet) {
        let h = block.header.height
        validatorSet = set
        pending.removeAll { $0.effectiveHeight <= h }
        for tx in block.transactions {
            if case .validatorChangeScheduled(let change)? = LedgerState.statelessEffect(of: tx.body, atHeight: h) { pending.append(change) }
        }
        height = h
        lastHash = block.header.hash
    }

    package func encode(to w: inout CanonicalWriter) {
        w.string(chainID); w.u64(height); w.encode(lastHash); w.encode(validatorSet); w.array(pending)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        chainID = try r.string(max: LedgerLimits.maxChainIDBytes, "ChainTracker.chainID")
        height = try r.u64("ChainTracker.height")
        lastHash = try r.decode()
        validatorSet = try r.decode()
        pending = try r.array(max: 1024, "ChainTracker.pending")
    }
}

/// Why a follower refused a block (or a genesis): the block is not used, the follower fails over.
package typealias ChainVerificationError = CodedError<ChainVerificationCode>

/// The kinds of `ChainVerificationError`.
package enum ChainVerificationCode: String, ErrorCode {
    /// The genesis file does not validate.
    case badGenesis
    /// A block does not verify as the next block (height, chain, parent, validator set, certificate, roots).
    case refusedBlock
}
