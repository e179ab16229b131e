import CityEncoding
import CityLedger
import CityMerkle

/// A certified block as one reader may see it: each transaction in block order, either in full or,
/// when it touches a dataset the reader may not read, withheld as its Merkle leaf hash, so the
/// transactions root can still be checked.
///
/// Encoding: CertifiedHeader, array<BlockEntry> (≤ 10,000).
@MemberwiseInit
package struct BlockAnswer: Hashable, Sendable, CanonicalCodable {
    /// One position of the block.
    ///
    /// Encoding (BlockEntry): u8 0, SignedTransaction | u8 1, Hash32 leafHash.
    package enum Entry: Hashable, Sendable, CanonicalCodable {
        /// Tag 0: the transaction.
        case transaction(SignedTransaction)
        /// Tag 1: withheld; `MerkleTree.leafHash` of its `leafBytes` (body and signatures).
        case withheld(leafHash: Hash32)

        package var leafHash: Hash32 {
            switch self {
            case .transaction(let tx): MerkleTree.leafHash(tx.leafBytes)
            case .withheld(let h): h
            }
        }

        package func encode(to w: inout CanonicalWriter) {
            switch self {
            case .transaction(let tx): w.u8(0); w.encode(tx)
            case .withheld(let h): w.u8(1); w.encode(h)
            }
        }

        package init(from r: inout CanonicalReader) throws(CodecError) {
            let tag = try r.u8("BlockAnswer.Entry")
            switch tag {
            case 0: self = .transaction(try r.decode())
            case 1: self = .withheld(leafHash: try r.decode())
            default: throw .unknownTag("BlockAnswer.Entry", tag)
            }
        }
    }

    package var header: CertifiedHeader
    package var entries: [Entry]

    /// Throws unless the header is certified and the entries are exactly its transactions.
    package func verify(height: UInt64, validatorSet: some ValidatorSetSource) throws(ProofFailure) {
        try header.verify(validatorSet: validatorSet)
        guard header.height == height else { throw ProofFailure("asked for block \(height) but the answer is block \(header.height)") }
        guard entries.count == Int(header.header.transactionCount),
              MerkleTree.root(leafHashes: entries.map(\.leafHash)) == header.header.transactionsRoot else {
            throw ProofFailure("the block's \(entries.count) entries do not hash to its certified transactions root")
        }
    }

    package func encode(to w: inout CanonicalWriter) { w.encode(header); w.array(entries) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        header = try r.decode()
        entries = try r.array(max: LedgerLimits.maxTransactionsPerBlock, "BlockAnswer.entries")
    }
}
