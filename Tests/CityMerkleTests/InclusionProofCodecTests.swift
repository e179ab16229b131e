import CityEncoding
import CityMerkle
import Testing

/// Canonical encoding of `InclusionProof`: the documented vector, round trips, malformed input.
@Suite struct InclusionProofCodecTests {
    /// Proof of "c" (index 2) in ["a", "b", "c"]: docs/protocol/merkle.md.
    static let vector = "0000000000000002 0000000000000003 00000001"
        + " b137985ff484fb600db93107c77b0365c80d78f5b429ded0fd97361d077999eb"

    @Test func documentedVector() throws {
        let leaves = [utf8("a"), utf8("b"), utf8("c")]
        let proof = MerkleTree.proof(leaves: leaves, index: 2)
        #expect(proof.canonicalBytes == hexBytes(Self.vector))
        let decoded = try InclusionProof(canonicalBytes: hexBytes(Self.vector))
        #expect(decoded == proof)
        #expect(decoded.verify(leaf: utf8("c"),
                               root: Hash32(hex: "36642e73c2540ab121e3a6bf9545b0a24982cd830eb13d3cd19de3ce6c021ec1")!))
    }

    @Test func everyTruncationIsRefused() {
        let bytes = hexBytes(Self.vector)
        for length in 0..<bytes.count {
            #expect(decodeError(InclusionProof.self, Array(bytes[..<length]))?.code == .truncated, "length \(length)")
        }
    }

    @Test func trailingBytesAreRefused() {
        #expect(decodeError(InclusionProof.self, hexBytes(Self.vector) + [0])?.code == .trailingBytes)
    }

    @Test func overLimitSiblingCountIsRefused() {
        var w = CanonicalWriter()
        w.u64(0)
        w.u64(UInt64.max)
        w.u32(65)
        #expect(decodeError(InclusionProof.self, w.bytes)?.code == .overLimit)
        var huge = CanonicalWriter()
        huge.u64(0)
        huge.u64(3)
        huge.u32(UInt32.max)
        #expect(decodeError(InclusionProof.self, huge.bytes)?.code == .overLimit)
    }

    @Test func impossibleShapesAreRefused() {
        let sibling = MerkleTree.leafHash(utf8("x"))
        let indexTooLarge = InclusionProof(index: 3, leafCount: 3, siblings: [sibling])
        #expect(decodeError(InclusionProof.self, indexTooLarge.canonicalBytes)?.code == .invalidValue)
        let emptyList = InclusionProof(index: 0, leafCount: 0, siblings: [])
        #expect(decodeError(InclusionProof.self, emptyList.canonicalBytes)?.code == .invalidValue)
        let wrongLength = InclusionProof(index: 0, leafCount: 3, siblings: [sibling])
        #expect(decodeError(InclusionProof.self, wrongLength.canonicalBytes)?.code == .invalidValue)
    }

    @Test func maximalProofRoundTrips() throws {
        // The deepest shape a u64 index allows: 2^64 - 1 items, last index, 64 siblings.
        let siblings = (0..<64).map { MerkleTree.leafHash([UInt8($0)]) }
        let proof = InclusionProof(index: UInt64.max - 1, leafCount: UInt64.max, siblings: siblings)
        #expect(InclusionProof.pathLength(index: proof.index, leafCount: proof.leafCount) == 63)
        let shallow = InclusionProof(index: 0, leafCount: UInt64.max, siblings: siblings)
        #expect(try InclusionProof(canonicalBytes: shallow.canonicalBytes) == shallow)
        #expect(decodeError(InclusionProof.self, proof.canonicalBytes)?.code == .invalidValue)
    }
}
