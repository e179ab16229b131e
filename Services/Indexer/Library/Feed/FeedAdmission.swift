import CityLedger
import CityWire

/// Who may open another feed: at most `maxFeeds` on this indexer and `maxFeedsPerAgency` per
/// reading agency (direct or relayed by a gateway). Refusals are `unavailable` and name the limit.
package typealias FeedAdmission = KeyedAdmission<AgencyID>

extension KeyedAdmission where Key == AgencyID {
    /// The indexer's feed limits.
    package init(maxFeeds: Int = 2000, maxFeedsPerAgency: Int = 16) {
        self.init(maxTotal: maxFeeds, maxPerKey: maxFeedsPerAgency,
                  full: { "this indexer serves its maximum of \($0) feeds (max feeds per indexer); retry later or subscribe on another indexer" },
                  keyFull: { "agency '\($0)' already has \($1) feeds open on this indexer (max feeds per agency); close one, or follow several datasets in one feed" })
    }
}
