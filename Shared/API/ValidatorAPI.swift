import CityWire

/// The message kinds validators serve (docs/PROTOCOL.md, Part 6). Every payload is canonical.
package enum ValidatorAPI {
    /// Submit a transaction: `SubmitRequest` → `SubmitResponse`. Agencies, gateways, admins, validators.
    package static let submit = MessageKind(.validator, 0x01)
    /// Where a transaction stands: `TxStatusRequest` → `TxStatus`.
    package static let txStatus = MessageKind(.validator, 0x02)
    /// Consensus and mempool gossip: `GossipSubscribe` → stream of `GossipBatch`. Validators only.
    package static let gossip = MessageKind(.validator, 0x03)
    /// Block sync: `BlocksRequest` → `BlocksResponse` (certified blocks from a height).
    package static let blocks = MessageKind(.validator, 0x04)
    /// The commit stream: `CommitsRequest` → stream of `CertifiedBlock`, from a height, then live.
    package static let commits = MessageKind(.validator, 0x05)
    /// The validator's view of the chain: empty → `ValidatorStatus`.
    package static let status = MessageKind(.validator, 0x06)
    /// The transactions of a block this validator proposed (or validated) that a follower of its
    /// compact proposal lacks: `ProposalTransactionsRequest` → `ProposalTransactions`. Validators only.
    package static let proposalTransactions = MessageKind(.validator, 0x07)

    /// Largest block and certificate one `CertifiedBlock` item may carry; leaves room under the
    /// wire's 4 MiB frame for the header. Block production keeps blocks under it.
    package static let maxCertifiedBlockBytes = 4 * 1024 * 1024 - 64 * 1024
    /// Largest `BlocksResponse` a validator sends (it stops adding blocks before this).
    package static let maxBlocksResponseBytes = 3 * 1024 * 1024
    /// Most blocks one `BlocksRequest` may ask for.
    package static let maxBlocksPerRequest: UInt32 = 256
    /// Longest a submitter may ask to wait for commit.
    package static let maxSubmitWaitMillis: UInt32 = 60_000
}
