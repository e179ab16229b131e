import CityEncoding
import CityLedger

/// A validator's view of the chain and of itself (`validator.status`).
///
/// Encoding: string name, string chainID, u64 height, Hash32 lastBlockHash, u64 lastBlockTimeMillis,
/// u64 consensusHeight, u32 round, u8 step, bool voting, Hash32 validatorSetHash, u32 mempoolCount,
/// u64 mempoolBytes, u32 peers, u64 evidenceSeen.
package struct ValidatorStatus: Hashable, Sendable, CanonicalCodable {
    /// The validator's certificate name.
    package var name: String
    /// The chain it runs.
    package var chainID: String
    /// The committed height.
    package var height: UInt64
    /// Hash of the last committed block (the genesis hash at height 0).
    package var lastBlockHash: Hash32
    /// Time of the last committed block, ms since the Unix epoch.
    package var lastBlockTimeMillis: UInt64
    /// The height consensus is deciding (height + 1 while running).
    package var consensusHeight: UInt64
    /// The consensus round.
    package var round: UInt32
    /// The consensus step (0 propose, 1 prevote, 2 precommit).
    package var step: UInt8
    /// True when this node's key is in the validator set of the next height (else an observer).
    package var voting: Bool
    /// Hash of the set that signs the next height.
    package var validatorSetHash: Hash32
    /// Transactions pending in the mempool.
    package var mempoolCount: UInt32
    /// Bytes pending in the mempool.
    package var mempoolBytes: UInt64
    /// Peers whose gossip stream is connected.
    package var peers: UInt32
    /// Equivocation evidence items seen since start.
    package var evidenceSeen: UInt64
    /// This validator's voting power in the set of the next height (0: an observer).
    package var power: UInt64 = 0
    /// That set's total power (a quorum is more than two thirds of it).
    package var totalPower: UInt64 = 0
    /// That set's members (key, power, name), in set order: who a certificate's signers are.
    package var validators: [Validator] = []

    /// A status from its parts.
    package init(name: String, chainID: String, height: UInt64, lastBlockHash: Hash32, lastBlockTimeMillis: UInt64,
                 consensusHeight: UInt64, round: UInt32, step: UInt8, voting: Bool, validatorSetHash: Hash32,
                 mempoolCount: UInt32, mempoolBytes: UInt64, peers: UInt32, evidenceSeen: UInt64, power: UInt64 = 0, totalPower: UInt64 = 0,
                 validators: [Validator] = []) {
        self.validators = validators
        self.power = power
        self.totalPower = totalPower
        self.name = name
        self.chainID = chainID
        self.height = height
        self.lastBlockHash = lastBlockHash
        self.lastBlockTimeMillis = lastBlockTimeMillis
        self.consensusHeight = consensusHeight
        self.round = round
        self.step = step
        self.voting = voting
        self.validatorSetHash = validatorSetHash
        self.mempoolCount = mempoolCount
        self.mempoolBytes = mempoolBytes
        self.peers = peers
        self.evidenceSeen = evidenceSeen
    }

    package func encode(to w: inout CanonicalWriter) {
        w.string(name); w.string(chainID); w.u64(height); w.encode(lastBlockHash); w.u64(lastBlockTimeMillis)
        w.u64(consensusHeight); w.u32(round); w.u8(step); w.bool(voting); w.encode(validatorSetHash)
        w.u32(mempoolCount); w.u64(mempoolBytes); w.u32(peers); w.u64(evidenceSeen); w.u64(power); w.u64(totalPower); w.array(validators)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        name = try r.string(max: 128, "ValidatorStatus.name")
        chainID = try r.string(max: 64, "ValidatorStatus.chainID")
        height = try r.u64("ValidatorStatus.height")
        lastBlockHash = try r.decode()
        lastBlockTimeMillis = try r.u64("ValidatorStatus.lastBlockTimeMillis")
        consensusHeight = try r.u64("ValidatorStatus.consensusHeight")
        round = try r.u32("ValidatorStatus.round")
        step = try r.u8("ValidatorStatus.step")
        guard step <= 2 else { throw .unknownTag("ValidatorStatus.step", step) }
        voting = try r.bool("ValidatorStatus.voting")
        validatorSetHash = try r.decode()
        mempoolCount = try r.u32("ValidatorStatus.mempoolCount")
        mempoolBytes = try r.u64("ValidatorStatus.mempoolBytes")
        peers = try r.u32("ValidatorStatus.peers")
        evidenceSeen = try r.u64("ValidatorStatus.evidenceSeen")
        power = try r.u64("ValidatorStatus.power")
        totalPower = try r.u64("ValidatorStatus.totalPower")
        validators = try r.array(max: LedgerLimits.maxValidators, "ValidatorStatus.validators")
        guard power <= totalPower else {
            throw CodecError(.invalidValue, field: "ValidatorStatus.power", "\(power) is over the set's total \(totalPower)")
        }
    }
}
