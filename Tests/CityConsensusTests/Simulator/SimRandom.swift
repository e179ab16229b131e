/// xoshiro256** seeded through SplitMix64: the simulator's only source of randomness, so one
/// seed fixes every fault, delay and choice of a run.
struct SimRandom {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// SplitMix64 step, used to expand the seed into the four state words.
    static func splitMix64(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    init(seed: UInt64) {
        var x = seed
        (s0, s1, s2, s3) = (Self.splitMix64(&x), Self.splitMix64(&x), Self.splitMix64(&x), Self.splitMix64(&x))
    }

    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in 0..<n (n ≥ 1); the tiny modulo bias does not matter for fault injection.
    mutating func below(_ n: UInt64) -> UInt64 {
        precondition(n > 0, "empty range")
        return next() % n
    }

    /// Uniform in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(below(UInt64(range.upperBound - range.lowerBound + 1)))
    }

    /// True with probability `percent`/100.
    mutating func chance(_ percent: UInt64) -> Bool { below(100) < percent }
}
