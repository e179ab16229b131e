import Foundation

/// Whether an agency may read a dataset at a height, and why.
package enum ReadDecision: Hashable, Sendable {
    /// Reading is allowed on this basis.
    case allowed(Basis)
    /// Reading is refused for this reason.
    case denied(Denial)

    /// Why a read is allowed.
    package enum Basis: Hashable, Sendable {
        /// The dataset is public.
        case publicDataset
        /// The reader owns the dataset.
        case owner
        /// The reader is a listed writer.
        case writer
        /// The reader holds a grant live until this height (and before this block time, when not 0).
        case grant(expiresAtHeight: UInt64, expiresAtMillis: UInt64)
    }

    /// Why a read is refused.
    package enum Denial: Hashable, Sendable {
        /// No such dataset.
        case unknownDataset
        /// No grant for the reader: ask the owner for one.
        case noGrant
        /// The reader's grant ended at this height: ask the owner to renew it.
        case grantExpired(expiredAtHeight: UInt64)
        /// The reader's grant ended at this block time (ms since the Unix epoch): ask the owner to renew it.
        case grantExpiredAtTime(expiredAtMillis: UInt64)
    }

    /// `millis` (since the Unix epoch) as an ISO 8601 UTC time, for messages.
    package static func isoTime(_ millis: UInt64) -> String {
        Date(timeIntervalSince1970: Double(millis) / 1000).formatted(.iso8601)
    }

    /// True when allowed.
    package var isAllowed: Bool { if case .allowed = self { true } else { false } }
}
