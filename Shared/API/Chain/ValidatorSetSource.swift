import CityLedger

/// Who signs which block, as a verifier knows it: a fixed `ValidatorSet` (every height, the way a
/// genesis-only check worked) or `TrustedValidatorSets` (the sets reached from a trust anchor by
/// checking each validator-set change in its certified block). Every answer's `verify` takes one.
package protocol ValidatorSetSource: Sendable {
    /// The set that signs block `height`; throws, saying what to do, when this source cannot tell.
    func validatorSet(forHeight height: UInt64) throws(ProofFailure) -> ValidatorSet
}

extension ValidatorSet: ValidatorSetSource {
    /// This set, whatever the height.
    package func validatorSet(forHeight height: UInt64) throws(ProofFailure) -> ValidatorSet { self }
}
