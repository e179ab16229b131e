import CityEncoding
import CityLedger

/// What a new block builds on: the last block's height, hash and time (or genesis, at height 0).
@MemberwiseInit
package struct ChainTip: Hashable, Sendable {
    /// Height of the last block (0 for genesis).
    package var height: UInt64
    /// Its header hash (the genesis hash at height 0): the next block's `previousHash`.
    package var hash: Hash32
    /// Its time, milliseconds since the Unix epoch (the genesis time at height 0).
    package var timeMillis: UInt64

    /// The tip after `header`.
    package init(header: BlockHeader) {
        self.init(height: header.height, hash: header.hash, timeMillis: header.timeMillis)
    }

    /// The tip of a chain with no blocks yet.
    package init(genesis: Genesis) {
        self.init(height: 0, hash: genesis.hash, timeMillis: genesis.genesisTimeMillis)
    }
}
