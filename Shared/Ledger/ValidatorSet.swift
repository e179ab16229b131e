import CityEncoding

/// The voting validators, sorted by public key, unique, each with power ≥ 1.
package struct ValidatorSet: Hashable, Sendable, CanonicalCodable {
    /// The validators in key order.
    package private(set) var validators: [Validator]
    /// Sum of all voting power.
    package private(set) var totalPower: UInt64

    /// Sorts `validators`; throws `.invalidValue` if empty, duplicated, zero-power or over the limits.
    package init(_ validators: [Validator]) throws(CodecError) {
        let sorted = validators.sorted { $0.publicKey < $1.publicKey }
        try Self.check(sorted)
        self.validators = sorted
        totalPower = sorted.reduce(0) { $0 + $1.power }
    }

    private static func check(_ sorted: [Validator]) throws(CodecError) {
        guard !sorted.isEmpty, sorted.count <= LedgerLimits.maxValidators else {
            throw CodecError(.invalidValue, field: "ValidatorSet", "\(sorted.count) validators; a set has 1 to \(LedgerLimits.maxValidators)")
        }
        var total: UInt64 = 0
        for (i, v) in sorted.enumerated() {
            guard v.power > 0 else {
                throw CodecError(.invalidValue, field: "ValidatorSet", "validator \(v.publicKey) has power 0; remove it instead")
            }
            if i > 0 && sorted[i - 1].publicKey == v.publicKey {
                throw CodecError(.invalidValue, field: "ValidatorSet", "validator \(v.publicKey) listed twice; list each key once")
            }
            total = total &+ min(v.power, LedgerLimits.maxTotalVotingPower + 1)
            guard total <= LedgerLimits.maxTotalVotingPower else {
                throw CodecError(.invalidValue, field: "ValidatorSet", "total power over \(LedgerLimits.maxTotalVotingPower); lower the powers")
            }
        }
    }

    /// SHA-256(domain "citychain/validators/v1" || canonical set): what block headers commit to.
    package var hash: Hash32 { LedgerDomain.hash(LedgerDomain.validatorSet, canonicalBytes) }

    /// The validator with `key`, if in the set.
    package func validator(_ key: PublicKey) -> Validator? {
        var (lo, hi) = (0, validators.count)
        while lo < hi {
            let mid = (lo + hi) / 2
            if validators[mid].publicKey < key { lo = mid + 1 } else { hi = mid }
        }
        return lo < validators.count && validators[lo].publicKey == key ? validators[lo] : nil
    }

    /// True when `power` is more than 2/3 of the total (3 × power > 2 × total).
    package func isQuorum(_ power: UInt64) -> Bool {
        power.multipliedReportingOverflow(by: 3).partialValue > totalPower * 2 && power <= totalPower
    }

    /// The set after `changes` (power 0 removes); throws `Rejection.invalidValidatorChange` if it breaks a rule.
    package func applying(_ changes: [ValidatorChange]) throws(Rejection) -> ValidatorSet {
        var byKey: [PublicKey: Validator] = [:]
        for v in validators { byKey[v.publicKey] = v }
        for c in changes {
            if c.power == 0 {
                guard byKey.removeValue(forKey: c.publicKey) != nil else {
                    throw .invalidValidatorChange("\(c.publicKey) is not a validator, so it cannot be removed")
                }
            } else {
                byKey[c.publicKey] = Validator(publicKey: c.publicKey, power: c.power, name: c.name)
            }
        }
        do { return try ValidatorSet(Array(byKey.values)) } catch {
            throw .invalidValidatorChange("the resulting set is invalid: \(error.detail)")
        }
    }

    package func encode(to w: inout CanonicalWriter) { w.array(validators) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let list: [Validator] = try r.array(max: LedgerLimits.maxValidators, "ValidatorSet.validators")
        try LedgerOperation.requireIncreasing(list.map(\.publicKey), "ValidatorSet.validators")
        try self.init(list)
    }
}
