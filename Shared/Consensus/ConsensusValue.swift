import CityEncoding

/// What consensus agrees on: any canonically encoded value with a collision-resistant id
/// (a ledger `Block`, whose id is its header hash, or a test value in the simulator).
package protocol ConsensusValue: Hashable, Sendable, CanonicalCodable {
    /// The value's id, the hash votes and commit certificates name.
    var id: Hash32 { get }
}
