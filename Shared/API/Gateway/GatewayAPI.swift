import CityEncoding
import CityLedger
import CityWire

/// The message kinds gateways serve (docs/PROTOCOL.md, Part 9). Agencies only. A gateway also
/// serves the indexer's query kinds 0x0201-0x0207 with the same payloads and answers, relayed to a
/// healthy indexer for the agency in the client certificate (`IndexerAPI.forwarded`).
package enum GatewayAPI {
    /// Submit a transaction and, with `waitMillis > 0`, wait for its receipt: `GatewaySubmit` →
    /// `GatewayOutcome`. Idempotent: the same transaction again gets the same receipt.
    package static let submit = MessageKind(.gateway, 0x01)
    /// The receipt of a transaction submitted earlier: `TxStatusRequest` → `GatewayOutcome`.
    package static let receipt = MessageKind(.gateway, 0x02)
    /// What the gateway sees: empty → `GatewayStatus`.
    package static let status = MessageKind(.gateway, 0x03)
}

/// A transaction for the chain, and how long to wait for it to be final: the same message as a
/// validator's submit (`SubmitRequest`), so an agency's client sends one payload to either.
package typealias GatewaySubmit = SubmitRequest

/// Proof that a transaction is final: the transaction, its position and Merkle path to the block's
/// transactions root, and the block's header with its commit certificate. Checked offline against
/// the chain's validator set (`citychain verify`).
///
/// Encoding: ProvenTransaction.
package struct Receipt: Hashable, Sendable, CanonicalCodable {
    package var proven: ProvenTransaction

    package init(_ proven: ProvenTransaction) { self.proven = proven }

    /// The transaction's id.
    package var id: TransactionID { proven.transaction.id }
    /// Height of its block.
    package var height: UInt64 { proven.height }
    /// Its position in the block.
    package var index: UInt32 { proven.index }
    /// The block's hash.
    package var blockHash: Hash32 { proven.header.header.hash }

    /// Throws unless this is a receipt for `id` in a block certified by `validatorSet`.
    package func verify(id: TransactionID, validatorSet: some ValidatorSetSource) throws(ProofFailure) {
        guard proven.transaction.id == id else { throw ProofFailure("the receipt is for transaction \(proven.transaction.id), not \(id)") }
        try proven.verify(validatorSet: validatorSet)
    }

    package func encode(to w: inout CanonicalWriter) { w.encode(proven) }

    package init(from r: inout CanonicalReader) throws(CodecError) { proven = try r.decode() }
}

/// Where a transaction submitted through a gateway stands.
///
/// Encoding: TransactionID, u8 tag, then 0 pending | 1 Receipt | 2 Rejection.
@MemberwiseInit
package struct GatewayOutcome: Hashable, Sendable, CanonicalCodable {
    package enum State: Hashable, Sendable {
        /// Admitted by a validator, not final yet (ask again with `GatewayAPI.receipt`).
        case pending
        /// Final, with its receipt.
        case committed(Receipt)
        /// Refused by the ledger rules (or the gateway's checks of them): resubmitting will not help.
        case rejected(Rejection)
    }

    package var id: TransactionID
    package var state: State

    package func encode(to w: inout CanonicalWriter) {
        w.encode(id)
        switch state {
        case .pending: w.u8(0)
        case .committed(let r): w.u8(1); w.encode(r)
        case .rejected(let r): w.u8(2); w.encode(r)
        }
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        id = try r.decode()
        switch try r.u8("GatewayOutcome.state") {
        case 0: state = .pending
        case 1: state = .committed(try r.decode())
        case 2: state = .rejected(try r.decode())
        case let tag: throw .unknownTag("GatewayOutcome.state", tag)
        }
        if case .committed(let receipt) = state, receipt.id != id {
            throw CodecError(.invalidValue, field: "GatewayOutcome.receipt", "the receipt is for \(receipt.id), not \(id)")
        }
    }
}

/// One upstream service as a gateway sees it.
///
/// Encoding: string address, u8 healthy (0/1), u64 height (0 unknown), string detail.
@MemberwiseInit
package struct UpstreamHealth: Hashable, Sendable, CanonicalCodable {
    package var address: String
    package var healthy: Bool
    package var height: UInt64
    package var detail: String

    package func encode(to w: inout CanonicalWriter) {
        w.string(address); w.bool(healthy); w.u64(height); w.string(detail)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        address = try r.string(max: 300, "UpstreamHealth.address")
        healthy = try r.bool("UpstreamHealth.healthy")
        height = try r.u64("UpstreamHealth.height")
        detail = try r.string(max: 512, "UpstreamHealth.detail")
    }
}

/// The gateway's view: the chain head it follows and every validator and indexer it routes to.
///
/// Encoding: string chainID, u64 headHeight, array<UpstreamHealth> validators, array<UpstreamHealth> indexers.
@MemberwiseInit
package struct GatewayStatus: Hashable, Sendable, CanonicalCodable {
    package var chainID: String
    package var headHeight: UInt64
    package var validators: [UpstreamHealth]
    package var indexers: [UpstreamHealth]

    package func encode(to w: inout CanonicalWriter) {
        w.string(chainID); w.u64(headHeight); w.array(validators); w.array(indexers)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        chainID = try r.string(max: LedgerLimits.maxChainIDBytes, "GatewayStatus.chainID")
        headHeight = try r.u64("GatewayStatus.headHeight")
        validators = try r.array(max: 1024, "GatewayStatus.validators")
        indexers = try r.array(max: 1024, "GatewayStatus.indexers")
    }
}
