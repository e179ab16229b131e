import CityChainAPI
import CityLedger
import CityWire

extension QueryService {
    /// The validator-set changes after `q.after` with their proofs (`ValidatorChangesAnswer`); with
    /// `q.anchor`, also the anchor's headers, the set that signed block `q.after` and the changes
    /// still pending at it. Public chain metadata: any agency may ask.
    func validatorChanges(_ q: ValidatorChangesQuery) async throws -> ValidatorChangesAnswer {
        let at = try await provenHeader()
        let delay = LedgerLimits.validatorChangeDelayHeights
        guard q.after <= at.height else {
            throw WireError(.notFound, "block \(q.after) is above the indexed height \(at.height); ask again when the indexer has reached it")
        }
        var from = q.after
        var anchorHeaders: [CertifiedHeader] = []
        var anchorSet: ValidatorSet?
        if q.anchor {
            guard q.after >= 1 else { throw WireError(.invalidRequest, "an anchor is a block (height ≥ 1); height 0 is the genesis") }
            let lowest = q.after >= delay ? q.after - delay + 1 : 1
            let material = try await store.proofMaterial(heights: Set(lowest...q.after))
            anchorHeaders = try (lowest...q.after).map { h in
                guard let m = material[h] else { throw WireError(.unavailable, "block \(h) is not in the index yet; retry") }
                return m.header
            }
            anchorSet = try await validatorSet(signing: q.after)
            from = lowest - 1
        }
        let limit = Int(IndexerAPI.maxItemsPerAnswer)
        let rows = try await store.validatorChanges(afterHeight: from, maxHeight: at.height, limit: limit + 1)
        let items = try await store.prove(Array(rows.prefix(limit)))
        return ValidatorChangesAnswer(at: at, anchorSet: anchorSet, anchorHeaders: anchorHeaders, items: items, more: rows.count > limit)
    }

    /// The set that signed block `height`: the genesis set with every change in force by then.
    func validatorSet(signing height: UInt64) async throws -> ValidatorSet {
        let delay = LedgerLimits.validatorChangeDelayHeights
        guard height > delay else { return genesisSet }
        var set = genesisSet
        // Validator changes are rare (an admin transaction each): all of them in one read.
        for row in try await store.validatorChanges(afterHeight: 0, maxHeight: height - delay, limit: Int(Int32.max)) {
            guard case .changeValidatorSet(let changes) = try SignedTransaction(canonicalBytes: row.bytes).body.operation else { continue }
            set = try set.applying(changes)
        }
        return set
    }
}
