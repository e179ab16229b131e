import CityEncoding
import CityLedger
import CityMerkle

/// A committed transaction with the proof that it is in a certified block: its position, the
/// Merkle path to the header's transactions root and the certified header.
///
/// Encoding: SignedTransaction, InclusionProof, CertifiedHeader.
@MemberwiseInit
package struct ProvenTransaction: Hashable, Sendable, CanonicalCodable {
    /// The transaction as committed (signatures included).
    package var transaction: SignedTransaction
    /// Its path to `header.header.transactionsRoot`; `proof.index` is its position in the block.
    package var proof: InclusionProof
    /// The certified header of its block.
    package var header: CertifiedHeader

    /// Height of its block.
    package var height: UInt64 { header.height }
    /// Its position in the block.
    package var index: UInt32 { UInt32(truncatingIfNeeded: proof.index) }
    /// Its place as a cursor.
    package var cursor: ChainCursor { ChainCursor(height: height, index: index) }

    /// Throws unless the header is certified by `validatorSet` and the transaction is in it.
    package func verify(validatorSet: some ValidatorSetSource) throws(ProofFailure) {
        try header.verify(validatorSet: validatorSet)
        try verifyInclusion()
    }

    /// Throws unless the inclusion proof leads from the transaction to the header's transactions
    /// root (the header itself is not checked: `verify`, or `VerifiedHeaders`, does that).
    package func verifyInclusion() throws(ProofFailure) {
        guard header.header.verifyInclusion(of: transaction, proof: proof) else {
            throw ProofFailure("transaction \(transaction.id) is not at position \(proof.index) of block \(height): its inclusion proof does not lead to the certified transactions root")
        }
        if let why = transaction.payloadMismatch { throw ProofFailure("transaction \(transaction.id): \(why)") }
    }

    package func encode(to w: inout CanonicalWriter) {
        w.encode(transaction)
        w.encode(proof)
        w.encode(header)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        transaction = try r.decode()
        proof = try r.decode()
        header = try r.decode()
    }
}

/// A place in the chain: a transaction's block height and position. Orders answers and pages them
/// (keyset pagination: ask again with `after` = the last cursor you got).
///
/// Encoding: u64 height, u32 index.
@MemberwiseInit
package struct ChainCursor: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    /// Block height.
    package var height: UInt64
    /// Position in the block.
    package var index: UInt32

    /// The cursor before everything.
    package static let start = ChainCursor(height: 0, index: 0)

    package static func < (a: ChainCursor, b: ChainCursor) -> Bool { (a.height, a.index) < (b.height, b.index) }

    /// `height.index`.
    package var description: String { "\(height).\(index)" }

    /// Reads `height.index` (`height` alone means index 0).
    package init?(text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let h = UInt64(parts[0]) else { return nil }
        let i = parts.count == 2 ? UInt32(parts[1]) : 0
        guard let i else { return nil }
        self.init(height: h, index: i)
    }

    package func encode(to w: inout CanonicalWriter) { w.u64(height); w.u32(index) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        height = try r.u64("ChainCursor.height")
        index = try r.u32("ChainCursor.index")
    }
}
