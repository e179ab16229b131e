import CityEncoding

/// An equivocation recorded in the state (`StateKey.evidence(id)`): which validator offended
/// where, and which block recorded it. Its presence, proved against a certified state root, is
/// the fact on chain that ops act on; the conflicting messages themselves are in the block at
/// `includedAtHeight`.
@MemberwiseInit
package struct EvidenceEntry: Hashable, Sendable, CanonicalCodable {
    /// The validator that signed both messages.
    package var offender: PublicKey
    /// The height the messages were signed for.
    package var height: UInt64
    /// The round they were signed in.
    package var round: UInt32
    /// The step they were signed in.
    package var step: EquivocationStep
    /// The height of the block that carries the evidence.
    package var includedAtHeight: UInt64

    /// The entry recording `evidence` in the block at `includedAtHeight`.
    package init(_ evidence: Equivocation, includedAtHeight: UInt64) {
        self.init(offender: evidence.offender, height: evidence.height, round: evidence.round, step: evidence.step,
                  includedAtHeight: includedAtHeight)
    }

    package func encode(to w: inout CanonicalWriter) {
        w.encode(offender)
        w.u64(height)
        w.u32(round)
        w.encode(step)
        w.u64(includedAtHeight)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        offender = try PublicKey(from: &r)
        height = try r.u64("EvidenceEntry.height")
        round = try r.u32("EvidenceEntry.round")
        step = try EquivocationStep(from: &r)
        includedAtHeight = try r.u64("EvidenceEntry.includedAtHeight")
    }
}
