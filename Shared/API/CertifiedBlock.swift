import CityEncoding
import CityLedger

/// A committed block with the commit certificate that makes it final: what block sync and the
/// commit stream carry. Anyone holding the validator set of its height can check it.
///
/// Encoding: Block, CommitCertificate.
@MemberwiseInit
package struct CertifiedBlock: Hashable, Sendable, CanonicalCodable {
    /// The block.
    package var block: Block
    /// Precommits of more than 2/3 of the power for the block's header hash.
    package var certificate: CommitCertificate

    /// The block's height.
    package var height: UInt64 { block.header.height }

    /// Checks the block against `validatorSet`, the set that signs its height: the header names the
    /// set, the certificate is a quorum of valid precommits for the header, and the transactions
    /// match the header's root and count. Parent linkage and state are the caller's to check.
    package func verify(validatorSet: ValidatorSet) throws(LedgerError) {
        let header = block.header
        guard header.validatorSetHash == validatorSet.hash else {
            throw LedgerError(.certificateMismatch,
                              "block \(header.height) names validator set \(header.validatorSetHash) but the set for that height is \(validatorSet.hash); the sender follows another chain")
        }
        try certificate.verify(header: header, validatorSet: validatorSet)
        try block.checkTransactionsRoot()
    }

    package func encode(to w: inout CanonicalWriter) {
        w.encode(block)
        w.encode(certificate)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        block = try r.decode()
        certificate = try r.decode()
    }
}

/// Asks for certified blocks `from`, `from + 1`, … (at most `maxCount`, ≤ `ValidatorAPI.maxBlocksPerRequest`).
///
/// Encoding: u64 from (≥ 1), u32 maxCount (1…256).
@MemberwiseInit
package struct BlocksRequest: Hashable, Sendable, CanonicalCodable {
    /// First height wanted.
    package var from: UInt64
    /// Most blocks wanted.
    package var maxCount: UInt32

    package func encode(to w: inout CanonicalWriter) { w.u64(from); w.u32(maxCount) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        from = try r.u64("BlocksRequest.from")
        maxCount = try r.u32("BlocksRequest.maxCount")
        guard from >= 1 else { throw CodecError(.invalidValue, field: "BlocksRequest.from", "heights start at 1") }
        guard (1...ValidatorAPI.maxBlocksPerRequest).contains(maxCount) else {
            throw CodecError(.invalidValue, field: "BlocksRequest.maxCount", "\(maxCount) is not in 1...\(ValidatorAPI.maxBlocksPerRequest)")
        }
    }
}

/// Certified blocks in height order from the requested height (possibly fewer than asked, never
/// more than `ValidatorAPI.maxBlocksResponseBytes` unless one block alone is larger), and the
/// sender's latest height so the caller knows whether to ask again.
///
/// Encoding: u64 latestHeight, array<CertifiedBlock> (≤ 256).
@MemberwiseInit
package struct BlocksResponse: Hashable, Sendable, CanonicalCodable {
    /// The sender's committed height.
    package var latestHeight: UInt64
    /// The blocks, consecutive.
    package var blocks: [CertifiedBlock]

    package func encode(to w: inout CanonicalWriter) { w.u64(latestHeight); w.array(blocks) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        latestHeight = try r.u64("BlocksResponse.latestHeight")
        blocks = try r.array(max: Int(ValidatorAPI.maxBlocksPerRequest), "BlocksResponse.blocks")
        guard zip(blocks, blocks.dropFirst()).allSatisfy({ $0.height + 1 == $1.height }) else {
            throw CodecError(.invalidValue, field: "BlocksResponse.blocks", "blocks are not consecutive heights")
        }
    }
}

/// Opens the commit stream at height `from` (≥ 1): every certified block from there in order,
/// then each new one as it commits. Resume after a disconnect with the next height wanted.
///
/// Encoding: u64 from.
@MemberwiseInit
package struct CommitsRequest: Hashable, Sendable, CanonicalCodable {
    /// First height wanted.
    package var from: UInt64

    package func encode(to w: inout CanonicalWriter) { w.u64(from) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        from = try r.u64("CommitsRequest.from")
        guard from >= 1 else { throw CodecError(.invalidValue, field: "CommitsRequest.from", "heights start at 1") }
    }
}
