import CityEncoding
import CityLedger

/// The end of a verified chain prefix: the next block must have height `lastHeight + 1`, the
/// log's chain id and `lastHash` as its parent. Pure; checked on append and again on every read
/// from disk.
package struct LogTip: Hashable, Sendable {
    /// The chain.
    package let chainID: String
    /// Height of the last block (0 before block 1).
    package private(set) var lastHeight: UInt64
    /// Hash of the last block's header (the genesis hash before block 1).
    package private(set) var lastHash: Hash32

    /// The tip of an empty log: at genesis, or at its base block.
    package init(chainID: String, genesisHash: Hash32, base: BlockLogBase? = nil) {
        self.chainID = chainID
        lastHeight = base?.height ?? 0
        lastHash = base?.header.hash ?? genesisHash
    }

    /// Why `header` cannot follow the tip, or nil if it can.
    package func refusal(_ header: BlockHeader) -> String? {
        if header.chainID != chainID { return "block is for chain \"\(header.chainID)\", the log holds \"\(chainID)\"" }
        if header.height != lastHeight + 1 { return "block height \(header.height) does not follow height \(lastHeight)" }
        if header.previousHash != lastHash {
            return "block \(header.height) names parent \(header.previousHash) but block \(lastHeight) hashes to \(lastHash)"
        }
        return nil
    }

    /// Why `certificate` does not certify `header`, or nil if its height and block hash match.
    /// (Signatures are checked by the caller against the validator set, which the log does not know.)
    package static func certificateRefusal(_ certificate: CommitCertificate, for header: BlockHeader, hash: Hash32) -> String? {
        if certificate.height != header.height { return "certificate is for height \(certificate.height), the block is \(header.height)" }
        if certificate.blockHash != hash { return "certificate is for block \(certificate.blockHash), the block hashes to \(hash)" }
        return nil
    }

    /// Moves the tip to `header`, whose hash is `hash`; the caller has checked `refusal` is nil.
    package mutating func advance(to header: BlockHeader, hash: Hash32) {
        precondition(refusal(header) == nil, "advancing the log tip past a block that does not follow it")
        lastHeight = header.height
        lastHash = hash
    }
}
