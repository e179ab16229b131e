/// Who may open another long-lived stream (pure): at most `maxTotal` open at once and `maxPerKey`
/// per key (the reading agency of a feed, the certificate of a registry watch). A refusal is
/// `unavailable` (retry later) and its message, given by the owner, names the limit and what to do.
/// The one counter behind the indexer's `FeedAdmission` and the registry's `WatchAdmission`.
package struct KeyedAdmission<Key: Hashable & Sendable>: Sendable {
    /// Most open in all.
    package let maxTotal: Int
    /// Most open per key.
    package let maxPerKey: Int
    /// Open now.
    package private(set) var total = 0
    private var perKey: [Key: Int] = [:]
    private let full: @Sendable (Int) -> String
    private let keyFull: @Sendable (Key, Int) -> String

    /// Limits, and the refusal messages for each (`full(maxTotal)`, `keyFull(key, maxPerKey)`).
    package init(maxTotal: Int, maxPerKey: Int, full: @escaping @Sendable (Int) -> String,
                 keyFull: @escaping @Sendable (Key, Int) -> String) {
        precondition(maxTotal > 0 && maxPerKey > 0, "admission limits must be positive")
        self.maxTotal = maxTotal
        self.maxPerKey = maxPerKey
        self.full = full
        self.keyFull = keyFull
    }

    /// Counts a new stream of `key`, or refuses it with `unavailable`.
    package mutating func admit(_ key: Key) throws(WireError) {
        guard total < maxTotal else { throw WireError(.unavailable, full(maxTotal)) }
        guard perKey[key, default: 0] < maxPerKey else { throw WireError(.unavailable, keyFull(key, maxPerKey)) }
        total += 1
        perKey[key, default: 0] += 1
        assert(total <= maxTotal && perKey[key]! <= maxPerKey, "admission stays within its limits")
    }

    /// Forgets a stream of `key` that ended (it must have been admitted).
    package mutating func release(_ key: Key) {
        guard let n = perKey[key], n > 0 else { preconditionFailure("release of a stream never admitted") }
        total -= 1
        perKey[key] = n == 1 ? nil : n - 1
        assert(total >= 0, "released no more streams than were admitted")
    }

    /// Streams open for `key`.
    package func open(for key: Key) -> Int { perKey[key, default: 0] }
}
