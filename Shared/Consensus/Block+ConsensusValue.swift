import CityEncoding
import CityLedger

extension Block: ConsensusValue {
    /// A block is identified by its header hash: the header commits to the transactions root,
    /// so a certificate for the hash fixes the whole block.
    package var id: Hash32 { header.hash }
}
