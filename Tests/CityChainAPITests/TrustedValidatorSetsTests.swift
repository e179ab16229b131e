import CityChainAPI
import CityEncoding
import CityLedger
import Testing

/// A client following validator-set changes from its trust anchor: answers from after a promotion
/// and a removal verify, a forged or omitted change is refused, a trusted block by hash works, and
/// the cache encoding round-trips.
struct TrustedValidatorSetsTests {
    static let v4 = IX.signingKey(0x14).ledgerPublicKey
    static let v0 = IX.validatorKeys[0].ledgerPublicKey

    /// Blocks 1-3 parking; 4 promotes v4 (in force from 6); 5-8 parking; 9 removes v0 (from 11); 10-12 parking.
    static let chain: APIChain = {
        var c = APIChain()
        for i in 1...3 { c.block([c.parking(i, minutes: 10)]) }
        c.block([c.validatorChange([ValidatorChange(publicKey: v4, power: 10, name: "v4")])])
        for i in 5...8 { c.block([c.parking(i, minutes: 10)]) }
        c.block([c.validatorChange([ValidatorChange(publicKey: v0, power: 0, name: "v0")])])
        for i in 10...12 { c.block([c.parking(i, minutes: 10)]) }
        return c
    }()

    static func answer(items: [ProvenTransaction], at: UInt64 = 12, more: Bool = false) -> ValidatorChangesAnswer {
        ValidatorChangesAnswer(at: chain.header(at), items: items, more: more)
    }

    static var changes: [ProvenTransaction] { [chain.proven(4, 0), chain.proven(9, 0)] }

    @Test func answersAcrossAPromotionAndARemovalVerify() throws {
        let c = Self.chain
        #expect(c.header(12).header.validatorSetHash != IX.validatorSet.hash, "the set changed twice")
        var sets = try TrustedValidatorSets(genesis: IX.genesis)
        #expect(sets.knownThrough == 2)
        let late = c.proven(12, 0)
        #expect(throws: ProofFailure.self) { try late.verify(validatorSet: IX.validatorSet) }   // the genesis set alone
        do { try late.verify(validatorSet: sets); Issue.record("verified beyond the known sets") } catch {
            #expect(error.needsSetsThrough == 12, "\(error)")
        }
        try sets.extend(with: Self.answer(items: Self.changes))
        #expect(sets.knownThrough == 12)
        for h: UInt64 in [1, 5, 6, 10, 11, 12] { try c.proven(h, 0).verify(validatorSet: sets) }
        #expect(try sets.validatorSet(forHeight: 6).validator(Self.v4) != nil)
        #expect(try sets.validatorSet(forHeight: 11).validator(Self.v0) == nil)
        #expect(try sets.validatorSet(forHeight: 10).validator(Self.v0) != nil)
        let decoded = try TrustedValidatorSets(canonicalBytes: sets.canonicalBytes)
        #expect(decoded == sets, "the cache file round-trips")
        // Taking in the same answer again (a refresh from the old point) changes nothing.
        var again = sets
        try again.extend(with: Self.answer(items: Self.changes))
        #expect(try again.validatorSet(forHeight: 12) == sets.validatorSet(forHeight: 12))
    }

    /// State sync's trust from the genesis through the set changes (`--trust-changes-from`): a
    /// snapshot's block signed after a promotion and a removal is refused under the genesis set
    /// alone and accepted under the sets the proven changes lead to; a block naming another set is not.
    @Test func stateSyncTrustsASnapshotBlockThroughTheProvenChanges() throws {
        let c = Self.chain
        let top = c.blocks[11]
        #expect(top.height == 12)
        let genesisOnly = StateSyncCheck.refusal(top, links: [], trust: .genesis, genesis: IX.genesis) ?? ""
        #expect(genesisOnly.contains("the set has changed since genesis"), "\(genesisOnly)")
        var sets = try TrustedValidatorSets(genesis: IX.genesis)
        #expect((StateSyncCheck.refusal(top, links: [], trust: .sets(sets), genesis: IX.genesis) ?? "").contains("not known"),
                "before the changes are fetched the set of block 12 is unknown")
        try sets.extend(with: Self.answer(items: Self.changes))
        #expect(StateSyncCheck.refusal(top, links: [], trust: .sets(sets), genesis: IX.genesis) == nil)
        #expect(StateSyncCheck.refusal(c.blocks[2], links: [], trust: .sets(sets), genesis: IX.genesis) == nil, "a block before the changes")
        var forged = top
        forged.block.header.validatorSetHash = IX.validatorSet.hash
        forged.certificate.blockHash = forged.block.header.hash
        let why = StateSyncCheck.refusal(forged, links: [], trust: .sets(sets), genesis: IX.genesis) ?? ""
        #expect(why.contains("lead to"), "\(why)")
    }

    @Test func aForgedOrOmittedChangeIsRefused() throws {
        let genesisSets = try TrustedValidatorSets(genesis: IX.genesis)
        // Omitted: block 12 names a set the client cannot reach.
        var omitted = genesisSets
        #expect(throws: ProofFailure.self) { try omitted.extend(with: Self.answer(items: [Self.chain.proven(4, 0)])) }
        #expect(omitted == genesisSets, "a refused answer changes nothing")
        // Forged: a change to a set of the attacker's, certified by keys that are not validators.
        var forger = APIChain()
        forger.block([forger.parking(1, minutes: 10)])
        let fake = forger.validatorChange((0x20...0x23).map { ValidatorChange(publicKey: IX.signingKey(UInt8($0)).ledgerPublicKey, power: 100, name: "w\($0)") }
            .sorted { $0.publicKey < $1.publicKey })
        forger.block([fake])
        var forgedItem = forger.proven(2, 0)
        forgedItem.header.certificate = CommitCertificate(height: 2, round: 0, blockHash: forgedItem.header.header.hash, precommits: (0x20...0x23).map {
            try! Vote.sign(kind: .precommit, height: 2, round: 0, blockHash: forgedItem.header.header.hash, chainID: IX.chainID, key: IX.signingKey(UInt8($0)))
        })
        var forged = genesisSets
        #expect(throws: ProofFailure.self) { try forged.extend(with: ValidatorChangesAnswer(at: forger.header(2), items: [forgedItem], more: false)) }
        // Not a change at all.
        var wrongKind = genesisSets
        #expect(throws: ProofFailure.self) { try wrongKind.extend(with: Self.answer(items: [Self.chain.proven(3, 0)] + Self.changes)) }
    }

    @Test func aTrustedBlockByHashIsAnAnchor() throws {
        let c = Self.chain
        // Trust block 10: block 9's removal is still pending there (in force from 11).
        let anchor = ValidatorChangesAnswer(at: c.header(12), anchorSet: c.states[8].validatorSet(forHeight: 10),
                                            anchorHeaders: [c.header(9), c.header(10)], items: [c.proven(9, 0)], more: false)
        let sets = try TrustedValidatorSets(trusting: 10, hash: c.header(10).header.hash, answer: anchor)
        try c.proven(12, 0).verify(validatorSet: sets)
        try c.proven(10, 0).verify(validatorSet: sets)
        #expect(try sets.validatorSet(forHeight: 11).validator(Self.v0) == nil, "the pending removal is followed")
        #expect(throws: ProofFailure.self) { try c.proven(5, 0).verify(validatorSet: sets) }   // before the anchor
        #expect(throws: ProofFailure.self) { try TrustedValidatorSets(trusting: 10, hash: c.header(11).header.hash, answer: anchor) }
        var withoutPending = anchor
        withoutPending.items = []
        #expect(throws: ProofFailure.self) { try TrustedValidatorSets(trusting: 10, hash: c.header(10).header.hash, answer: withoutPending) }
        // A record written before the trusted block: its state proof under block 12 names the
        // transaction, so it verifies without block 1's certificate.
        let (entry, proof) = c.states[11].proveRecord(dataset: IX.parking, subject: IX.subject("bay-1"))
        let record = RecordAnswer(at: c.header(12), entry: entry, proof: proof, current: c.proven(1, 0))
        try record.verify(dataset: IX.parking, subject: IX.subject("bay-1"), validatorSet: sets)
        var otherTx = record
        otherTx.current = c.proven(2, 0)
        #expect(throws: ProofFailure.self) { try otherTx.verify(dataset: IX.parking, subject: IX.subject("bay-1"), validatorSet: sets) }
        var wrongSet = anchor
        wrongSet.anchorSet = IX.otherValidatorSet
        #expect(throws: ProofFailure.self) { try TrustedValidatorSets(trusting: 10, hash: c.header(10).header.hash, answer: wrongSet) }
    }

    @Test func refreshFollowsPages() async throws {
        var sets = try TrustedValidatorSets(genesis: IX.genesis)
        var asked: [UInt64] = []
        try await sets.refresh { q in
            asked.append(q.after)
            return q.after == 0 ? Self.answer(items: [Self.chain.proven(4, 0)], at: 12, more: true)
                                : Self.answer(items: Self.changes.filter { $0.height > q.after })
        }
        #expect(asked == [0, 2], "the second page starts after the first page's last block, less the activation delay")
        #expect(sets.knownThrough == 12)
        let codec = ValidatorChangesAnswer(at: Self.chain.header(12), anchorSet: IX.validatorSet, anchorHeaders: [Self.chain.header(11), Self.chain.header(12)],
                                           items: Self.changes, more: true)
        #expect(try ValidatorChangesAnswer(canonicalBytes: codec.canonicalBytes) == codec)
        #expect(try ValidatorChangesQuery(canonicalBytes: ValidatorChangesQuery(after: 7, anchor: true).canonicalBytes) == ValidatorChangesQuery(after: 7, anchor: true))
    }
}
