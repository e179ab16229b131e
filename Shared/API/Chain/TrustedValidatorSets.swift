import CityEncoding
import CityLedger

/// Which validator set signs which block, as a client knows it: reached from a trust anchor (the
/// genesis, or a block the operator trusts by height and hash: `--trust-height/--trust-hash`) by
/// checking each `changeValidatorSet` in its certified block with the set in force there
/// (`ValidatorChangesAnswer`, from an indexer or through a gateway). Answers are then verified with
/// the set of their own height, so clients keep working across promotions and removals. A forged
/// or omitted change shows as a header that names another set, and is refused. Pure; the CLI keeps
/// it in a cache file between runs (encoding below) so saved answers verify offline.
///
/// Encoding: 8 bytes "CCSETS01", string chainID, u64 anchorHeight, Hash32 anchorHash, ValidatorSet
/// base, array<PendingValidatorChange> changes, u64 checkedThrough.
package struct TrustedValidatorSets: Hashable, Sendable, CanonicalCodable, ValidatorSetSource {
    package static let magic = Array("CCSETS01".utf8)
    static let delay = LedgerLimits.validatorChangeDelayHeights

    /// The chain.
    package private(set) var chainID: String
    /// The trusted height (0: the genesis).
    package private(set) var anchorHeight: UInt64
    /// The hash of the trusted block (the genesis hash at 0).
    package private(set) var anchorHash: Hash32
    /// The set that signs block `max(1, anchorHeight)`, before `changes`.
    package private(set) var base: ValidatorSet
    /// Verified changes committed after `anchorHeight - 2` (those still pending at the anchor and
    /// every later one), in chain order, each with the first height its set signs.
    package private(set) var changes: [PendingValidatorChange]
    /// Every change committed up to this height is in `changes`.
    package private(set) var checkedThrough: UInt64

    /// Trust from the genesis: its validator set signs block 1.
    package init(genesis: Genesis) throws(ProofFailure) {
        do {
            try genesis.validate()
            base = try ValidatorSet(genesis.validators)
        } catch {
            throw ProofFailure("the genesis file does not validate: \(error)")
        }
        chainID = genesis.chainID
        anchorHeight = 0
        anchorHash = genesis.hash
        changes = []
        checkedThrough = 0
    }

    /// Trust from block `height` with hash `hash`, using the answer to
    /// `ValidatorChangesQuery(after: height, anchor: true)`: the anchor's headers must chain to
    /// `hash`, its set must be the one the anchor names, and the pending changes must be in those
    /// blocks; the later changes are then checked as `extend` does.
    package init(trusting height: UInt64, hash: Hash32, answer: ValidatorChangesAnswer) throws(ProofFailure) {
        guard height >= 1 else { throw ProofFailure("a trust height is at least 1 (height 0 is the genesis: give --genesis instead)") }
        let headers = answer.anchorHeaders
        guard let top = headers.last, top.height == height, top.header.hash == hash else {
            throw ProofFailure("the server's block \(height) is not \(hash), the one you trust: it follows another chain, or the trusted hash is wrong (read it from a source you trust: citychain status, an operator)")
        }
        guard headers.count == Int(min(height, Self.delay)) else {
            throw ProofFailure("the server sent \(headers.count) anchor headers, not the \(min(height, Self.delay)) blocks up to \(height)")
        }
        for (a, b) in zip(headers, headers.dropFirst()) where b.height != a.height + 1 || b.header.previousHash != a.header.hash {
            throw ProofFailure("anchor header \(b.height) does not follow header \(a.height) (its parent hash differs)")
        }
        guard let set = answer.anchorSet, set.hash == top.header.validatorSetHash else {
            throw ProofFailure("the server's validator set for block \(height) is not the one that block names (\(top.header.validatorSetHash))")
        }
        chainID = top.header.chainID
        anchorHeight = height
        anchorHash = hash
        base = set
        changes = []
        checkedThrough = height
        var previous: ChainCursor?
        for item in answer.items where item.height <= height {
            guard previous.map({ $0 < item.cursor }) ?? true else { throw ProofFailure("the changes are not in chain order at \(item.cursor)") }
            previous = item.cursor
            guard let header = headers.first(where: { $0.height == item.height }), header.header == item.header.header else {
                throw ProofFailure("the change at \(item.cursor) is not in the anchor's blocks \(headers.first!.height)…\(height)")
            }
            try item.verifyInclusion()
            changes.append(PendingValidatorChange(effectiveHeight: item.height + Self.delay, changes: try Self.changes(of: item)))
        }
        try extend(with: answer, newerThan: height)
    }

    /// Validator sets are known for blocks up to this height.
    package var knownThrough: UInt64 { checkedThrough + Self.delay }

    /// The set that signs block `height`: throws for a block before the trust anchor, and (with
    /// `needsSetsThrough`) for one after `knownThrough` until the changes are fetched (`extend`).
    package func validatorSet(forHeight height: UInt64) throws(ProofFailure) -> ValidatorSet {
        if anchorHeight > 0 && height < anchorHeight {
            throw ProofFailure("block \(height) is before height \(anchorHeight), the block you trust by its hash: check it against the genesis (--genesis) instead",
                               beforeTrustedHeight: anchorHeight)
        }
        guard height <= knownThrough else {
            throw ProofFailure("the validator sets after block \(knownThrough) are not known here yet: fetch the validator-set changes since then (any online citychain command with --genesis does) and check again",
                               needsSetsThrough: height)
        }
        return try computed(height)
    }

    /// Takes in the answer to `ValidatorChangesQuery(after: checkedThrough)`: each change is checked
    /// in its block with the set in force there, then the answer's head with the resulting set.
    /// Refused answers leave these sets unchanged.
    package mutating func extend(with answer: ValidatorChangesAnswer) throws(ProofFailure) {
        var next = self
        try next.extend(with: answer, newerThan: checkedThrough)
        self = next
    }

    private mutating func extend(with answer: ValidatorChangesAnswer, newerThan after: UInt64) throws(ProofFailure) {
        guard answer.at.header.chainID == chainID else {
            throw ProofFailure("the server answers for chain '\(answer.at.header.chainID)', not '\(chainID)'")
        }
        changes.removeAll { $0.effectiveHeight - Self.delay > after }
        var previous: ChainCursor?
        for item in answer.items where item.height > after {
            guard previous.map({ $0 < item.cursor }) ?? true else { throw ProofFailure("the changes are not in chain order at \(item.cursor)") }
            previous = item.cursor
            guard item.height <= answer.at.height else { throw ProofFailure("the change at \(item.cursor) is above the answer's head \(answer.at.height)") }
            try item.verify(validatorSet: try computed(item.height))
            changes.append(PendingValidatorChange(effectiveHeight: item.height + Self.delay, changes: try Self.changes(of: item)))
        }
        let through: UInt64
        if answer.more {
            guard let last = previous else { throw ProofFailure("the server says there are more changes but sent none") }
            through = last.height > Self.delay ? last.height - Self.delay : 0
        } else {
            if answer.at.height >= max(1, anchorHeight) { try answer.at.verify(validatorSet: try computed(answer.at.height)) }
            through = answer.at.height > Self.delay ? answer.at.height - Self.delay : 0
        }
        checkedThrough = max(checkedThrough, through)
    }

    /// Asks `fetch` for the changes after `checkedThrough` until an answer is whole, taking each in.
    package mutating func refresh(fetch: (ValidatorChangesQuery) async throws -> ValidatorChangesAnswer) async throws {
        for _ in 0..<1000 {
            let before = checkedThrough
            let answer = try await fetch(ValidatorChangesQuery(after: checkedThrough))
            try extend(with: answer)
            if !answer.more { return }
            guard checkedThrough > before else { throw ProofFailure("the server's answers make no progress past block \(before)") }
        }
        throw ProofFailure("more than 1000 pages of validator-set changes: giving up")
    }

    /// The sets from block `height` with hash `hash`, fetched and checked (`init(trusting:)`, then `refresh`).
    package static func anchored(height: UInt64, hash: Hash32,
                                 fetch: (ValidatorChangesQuery) async throws -> ValidatorChangesAnswer) async throws -> TrustedValidatorSets {
        let answer = try await fetch(ValidatorChangesQuery(after: height, anchor: true))
        var sets = try TrustedValidatorSets(trusting: height, hash: hash, answer: answer)
        if answer.more { try await sets.refresh(fetch: fetch) }
        return sets
    }

    private func computed(_ height: UInt64) throws(ProofFailure) -> ValidatorSet {
        var set = base
        for p in changes where p.effectiveHeight <= height {
            do { set = try set.applying(p.changes) } catch {
                throw ProofFailure("the validator change that takes effect at block \(p.effectiveHeight) does not apply: \(error)")
            }
        }
        return set
    }

    private static func changes(of item: ProvenTransaction) throws(ProofFailure) -> [ValidatorChange] {
        guard case .changeValidatorSet(let list) = item.transaction.body.operation else {
            throw ProofFailure("the transaction at \(item.cursor) is a \(item.transaction.body.operation.name), not a validator-set change")
        }
        return list
    }

    package func encode(to w: inout CanonicalWriter) {
        w.fixed(Self.magic); w.string(chainID); w.u64(anchorHeight); w.encode(anchorHash); w.encode(base); w.array(changes); w.u64(checkedThrough)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        guard try r.fixed(8, "TrustedValidatorSets.magic") == Self.magic else {
            throw CodecError(.invalidValue, field: "TrustedValidatorSets.magic", "not a CityChain validator-set cache")
        }
        chainID = try r.string(max: LedgerLimits.maxChainIDBytes, "TrustedValidatorSets.chainID")
        anchorHeight = try r.u64("TrustedValidatorSets.anchorHeight")
        anchorHash = try r.decode()
        base = try r.decode()
        changes = try r.array(max: 1 << 20, "TrustedValidatorSets.changes")
        checkedThrough = try r.u64("TrustedValidatorSets.checkedThrough")
    }
}
