import CityChainAPI
import CityLedger
import CityWire

/// Who may open another feed (pure): at most `maxFeeds` on this indexer and `maxFeedsPerAgency`
/// per reading agency (direct or relayed by a gateway). Refusals are `unavailable` and name the limit.
package struct FeedAdmission: Sendable {
    package let maxFeeds: Int
    package let maxFeedsPerAgency: Int
    package private(set) var total = 0
    private var perAgency: [AgencyID: Int] = [:]

    package init(maxFeeds: Int = 2000, maxFeedsPerAgency: Int = 16) {
        precondition(maxFeeds > 0 && maxFeedsPerAgency > 0)
        self.maxFeeds = maxFeeds
        self.maxFeedsPerAgency = maxFeedsPerAgency
    }

    /// Counts a new feed of `agency`, or refuses it.
    package mutating func admit(_ agency: AgencyID) throws(WireError) {
        guard total < maxFeeds else {
            throw WireError(.unavailable, "this indexer serves its maximum of \(maxFeeds) feeds (max feeds per indexer); retry later or subscribe on another indexer")
        }
        guard perAgency[agency, default: 0] < maxFeedsPerAgency else {
            throw WireError(.unavailable, "agency '\(agency)' already has \(maxFeedsPerAgency) feeds open on this indexer (max feeds per agency); close one, or follow several datasets in one feed")
        }
        total += 1
        perAgency[agency, default: 0] += 1
    }

    /// Forgets a feed of `agency` that ended.
    package mutating func release(_ agency: AgencyID) {
        guard let n = perAgency[agency], n > 0 else { preconditionFailure("release of a feed never admitted") }
        total -= 1
        perAgency[agency] = n == 1 ? nil : n - 1
    }

    /// Feeds open for `agency`.
    package func open(for agency: AgencyID) -> Int { perAgency[agency, default: 0] }
}
