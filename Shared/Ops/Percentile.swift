/// Percentiles of measured latencies, for the figures the CLI's demos and the benches print.
package enum Percentile {
    /// The nearest-rank `p` percentile (0 < p ≤ 1) of `values`, which need not be sorted; 0 when empty.
    package static func nearestRank(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}
